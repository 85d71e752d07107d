// Export of a search result as a zip of .eml files (one per message, oldest first, named
// "000001-2025-01-16-<archive id>.eml", dated by the message). Streams: a page of messages is
// looked up only when the zip reaches it, and each mail is read through its integrity checks
// before a byte of it goes into the zip; a mail that fails ends the export with an error.
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import type { ArchivedMessage } from '../../store/store.ts';

export interface ZipSource {
  /** Pages of the messages to export, in order; an empty page ends it. */
  page(n: number): Promise<ArchivedMessage[]>;
  /** The verified mail (the whole read passed its integrity checks). */
  verified(m: ArchivedMessage): Promise<Readable | Buffer>;
}

export function emlName(n: number, m: ArchivedMessage): string {
  const day = Number.isFinite(m.date) ? new Date(m.date).toISOString().slice(0, 10) : 'undated';
  return `${String(n).padStart(6, '0')}-${day}-${m.id.replace(/[^\w-]/g, '_')}.eml`;
}

/** The zip as a stream; `onMessage` is told of each mail handed to the zip. */
export function zipStream(src: ZipSource, onMessage?: (m: ArchivedMessage) => void): Readable {
  const zip = new ZipFile();
  const out = zip.outputStream;
  const fail = (err: Error) => out.destroy(err);
  zip.on('error', fail);
  let n = 0;
  const addPage = async (p: number): Promise<void> => {
    const page = await src.page(p);
    if (!page.length) return zip.end();
    page.forEach((m, i) => {
      const last = i === page.length - 1;
      const mtime = new Date(Number.isFinite(m.date) && m.date > 0 ? m.date : m.archivedAt);
      zip.addReadStreamLazy(emlName(++n, m), { mtime, compress: true }, (cb) => {
        src.verified(m).then(
          (body) => {
            const stream = Buffer.isBuffer(body) ? Readable.from([body]) : body;
            cb(null, stream);
            onMessage?.(m);
            // The next page is looked up when the zip reaches the last mail of this one.
            if (last) addPage(p + 1).catch(fail);
          },
          (err: Error) => cb(err),
        );
      });
    });
  };
  addPage(1).catch(fail);
  return out;
}
