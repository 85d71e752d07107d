// Reads the header block of a body without reading the rest: the stages decide from the headers
// whether a mail needs them at all, so a 50 MB mail that does not is never held in memory.
import type { Readable } from 'node:stream';

const HEAD_LIMIT = 256 * 1024;

/** The header block (up to and including its last CRLF), at most HEAD_LIMIT bytes. */
export async function readHead(stream: Readable): Promise<string> {
  let buf = Buffer.alloc(0);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0) return buf.subarray(0, end + 2).toString('latin1');
      if (buf.length > HEAD_LIMIT) break;
    }
  } finally {
    stream.destroy();
  }
  return buf.subarray(0, HEAD_LIMIT).toString('latin1');
}
