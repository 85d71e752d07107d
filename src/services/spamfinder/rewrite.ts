// Writes a changed copy of a mail into a new body: headers added at the top and the Subject
// tagged, the rest streamed through unchanged. Only the header block is held in memory (at most
// HEAD_LIMIT); the body of a 50 MB mail passes in chunks.
import type { Readable } from 'node:stream';
import type { BodyStore } from '../../store/store.ts';
import { HeaderHygiene } from './header-hygiene.ts';

const HEAD_LIMIT = 256 * 1024;

export interface Rewrite {
  /** Header lines to put at the top, each ending in CRLF. */
  prepend: string;
  /** Subject tag, e.g. "[SPAM]" (not added twice). */
  subjectTag?: string;
  /** Our authserv-id: forged verdict headers naming it are removed (header-hygiene.ts). */
  clean?: string;
}

/** Applies `r` to a header block (ending with its blank line). */
export function rewriteHead(head: string, r: Rewrite): string {
  let out = r.clean ? HeaderHygiene.clean(head, r.clean).text : head;
  let prepend = r.prepend;
  if (r.subjectTag) {
    const tag = r.subjectTag;
    const m = /^subject:[ \t]?/im.exec(out);
    if (!m) prepend += `Subject: ${tag}\r\n`;
    else {
      const at = m.index + m[0].length;
      if (!out.slice(at).toLowerCase().startsWith(tag.toLowerCase())) out = out.slice(0, at) + tag + ' ' + out.slice(at);
    }
  }
  return prepend + out;
}

/** Streams `source` into a new body under `key` with the rewrite applied; returns its size. */
export async function writeRewritten(source: Readable, bodies: BodyStore, key: string, r: Rewrite): Promise<number> {
  const w = await bodies.create(key);
  let size = 0;
  try {
    let head: Buffer | null = Buffer.alloc(0);
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (head) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0 && head.length < HEAD_LIMIT) continue;
        const cut = end >= 0 ? end + 4 : head.length;
        const newHead = Buffer.from(rewriteHead(head.subarray(0, cut).toString('latin1'), r), 'latin1');
        const rest = head.subarray(cut);
        head = null;
        await w.write(newHead);
        size += newHead.length;
        if (rest.length) {
          await w.write(rest);
          size += rest.length;
        }
        continue;
      }
      await w.write(chunk);
      size += chunk.length;
    }
    if (head) {
      const newHead = Buffer.from(rewriteHead(head.toString('latin1'), r), 'latin1');
      await w.write(newHead);
      size += newHead.length;
    }
    await w.commit();
    return size;
  } catch (err) {
    await w.abort().catch(() => undefined);
    throw err;
  }
}
