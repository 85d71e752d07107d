// Reads the part of an undeliverable mail that goes back inside its DSN: the whole message when
// it is small and RET is not HDRS, otherwise only its header section. Never reads more than the
// limit plus one chunk, so a 50 MB mail costs at most that much memory to bounce.
import type { Readable } from 'node:stream';

/** Originals above this size are returned as headers only (text/rfc822-headers). */
export const DSN_FULL_LIMIT = 256 * 1024;

export interface DsnOriginal {
  content: Buffer;
  headersOnly: boolean;
}

export async function readOriginal(stream: Readable, opts: { ret?: 'FULL' | 'HDRS'; size?: number; limit?: number }): Promise<DsnOriginal> {
  const limit = opts.limit ?? DSN_FULL_LIMIT;
  let headersOnly = opts.ret === 'HDRS' || (opts.size ?? 0) > limit;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buf);
      length += buf.length;
      if (headersOnly && headerEnd(Buffer.concat(chunks)) >= 0) break;
      if (length > limit) {
        headersOnly = true;
        break;
      }
    }
  } finally {
    stream.destroy();
  }
  const all = Buffer.concat(chunks);
  if (!headersOnly) return { content: all, headersOnly };
  const end = headerEnd(all);
  return { content: end >= 0 ? all.subarray(0, end) : all.subarray(0, Math.min(all.length, limit)), headersOnly };
}

/** Offset just past the header section's last line (before the empty line), or -1. */
export function headerEnd(buf: Buffer): number {
  if (buf.subarray(0, 2).toString('latin1') === '\r\n') return 0;
  if (buf[0] === 0x0a) return 0;
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 2;
  return lf >= 0 ? lf + 1 : -1;
}
