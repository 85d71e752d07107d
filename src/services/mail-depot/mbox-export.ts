// Export of a search result as one mbox (mboxrd: a "From " line opens each mail, a body line
// that starts with any number of ">" and "From " gets one more ">", so it reads back exactly).
// Streams mail by mail, each one read through its integrity checks before a byte of it is
// written: a mail that fails ends the export with an error instead of exporting damage.
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ArchivedMessage, ArchiveEntry } from '../../store/store.ts';

/** ctime-style date of the "From " line, UTC: "Thu Jan 16 08:30:00 2025". */
export function mboxDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** CRLF to LF and mboxrd quoting of "From " lines, line by line across chunk borders. */
export class MboxrdEscape extends Transform {
  private rest = '';
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const text = this.rest + chunk.toString('latin1');
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.rest = text;
      return cb();
    }
    this.rest = text.slice(end + 1);
    cb(null, Buffer.from(escape(text.slice(0, end + 1)), 'latin1'));
  }
  override _flush(cb: TransformCallback): void {
    const tail = this.rest ? escape(this.rest) + '\n' : '';
    cb(null, Buffer.from(tail + '\n', 'latin1'));
  }
}

function escape(lines: string): string {
  return lines.replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1');
}

export interface MboxSource {
  /** Pages of the search result, newest first; an empty page ends it. */
  page(n: number): Promise<ArchivedMessage[]>;
  firstArrival(id: string): Promise<ArchiveEntry | undefined>;
  /** The verified mail (the whole read passed its integrity checks). */
  verified(m: ArchivedMessage): Promise<Readable | Buffer>;
}

/** The mbox as a stream; `onMessage` is told of each mail written. */
export function mboxStream(src: MboxSource, onMessage?: (m: ArchivedMessage) => void): Readable {
  async function* gen(): AsyncIterable<Buffer> {
    for (let n = 1; ; n++) {
      const page = await src.page(n);
      if (!page.length) return;
      for (const m of page) {
        const first = await src.firstArrival(m.id);
        const sender = (first?.sender || 'MAILER-DAEMON').replace(/\s/g, '');
        yield Buffer.from(`From ${sender} ${mboxDate(first?.receivedAt ?? m.archivedAt)}\n`, 'latin1');
        const body = await src.verified(m);
        const esc = new MboxrdEscape();
        const out = (Buffer.isBuffer(body) ? Readable.from([body]) : body).pipe(esc);
        body instanceof Readable && body.once('error', (err) => esc.destroy(err));
        for await (const c of out) yield c as Buffer;
        onMessage?.(m);
      }
    }
  }
  return Readable.from(gen(), { objectMode: false });
}
