// Where an import reads mail from: one mbox file (mboxo/mboxrd: a message starts at a "From "
// line at the start of the file or after an empty line; ">From " lines lose one ">"), a folder
// of .eml files, or a Maildir (cur/ and new/). Every source is read in a fixed order from a
// cursor (mbox: byte offset of a message; folders: index in the sorted file list), so an import
// resumes where its last checkpoint was. The mbox is streamed: memory holds one message, not
// the file. Line ends become CRLF, as mail is archived when it arrives over SMTP.
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type ImportFormat = 'mbox' | 'eml' | 'maildir';

export interface ImportCursor {
  /** mbox: byte offset of the next message. */
  offset: number;
  /** eml / maildir: index of the next file in the sorted list. */
  index: number;
}

export interface ImportItem {
  /** Stable name of the item within its source (offset or file name). */
  key: string;
  body: Buffer;
  /** Bytes of the source this item took (for progress). */
  bytes: number;
  /** Where to resume after this item. */
  next: ImportCursor;
  /** Cut at MAX_IMPORT_MESSAGE. */
  truncated?: boolean;
}

/** A message larger than this is cut there (and counted as malformed by the import). */
export const MAX_IMPORT_MESSAGE = 128 * 1024 * 1024;

export async function detectFormat(path: string): Promise<ImportFormat> {
  const s = await stat(path);
  if (s.isFile()) return 'mbox';
  const names = await readdir(path);
  return names.includes('cur') && names.includes('new') ? 'maildir' : 'eml';
}

/** Total bytes of the source, for progress. */
export async function sourceSize(path: string, format: ImportFormat): Promise<number> {
  if (format === 'mbox') return (await stat(path)).size;
  let n = 0;
  for (const f of await folderFiles(path, format)) n += (await stat(f)).size;
  return n;
}

async function folderFiles(path: string, format: ImportFormat): Promise<string[]> {
  if (format === 'maildir') {
    const out: string[] = [];
    for (const sub of ['cur', 'new']) {
      for (const f of (await readdir(join(path, sub))).sort()) if (!f.startsWith('.')) out.push(join(path, sub, f));
    }
    return out;
  }
  return (await readdir(path)).filter((f) => f.toLowerCase().endsWith('.eml')).sort().map((f) => join(path, f));
}

function crlf(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

export async function* readSource(path: string, format: ImportFormat, from: ImportCursor): AsyncIterable<ImportItem> {
  if (format === 'mbox') {
    yield* readMbox(path, from.offset);
    return;
  }
  const files = await folderFiles(path, format);
  for (let i = from.index; i < files.length; i++) {
    const raw = await readFile(files[i]);
    const name = files[i].slice(path.length + 1);
    yield { key: format === 'maildir' ? name.replace(/:2,.*$/, '') : name, body: crlf(raw), bytes: raw.length, next: { offset: 0, index: i + 1 } };
  }
}

async function* readMbox(path: string, start: number): AsyncIterable<ImportItem> {
  let offset = start; // absolute offset of `pending`'s first byte
  let pending: Buffer = Buffer.alloc(0);
  let msgStart = -1; // offset of the current message's From_ line
  let lines: Buffer[] = [];
  let size = 0;
  let prevEmpty = true;
  let cut = false;
  const finish = (end: number): ImportItem | null => {
    if (msgStart < 0) return null;
    // The empty line before the next From_ line belongs to the mbox, not the message.
    if (lines.length && lines[lines.length - 1].length <= 2 && /^\r?\n$/.test(lines[lines.length - 1].toString('latin1'))) lines.pop();
    const item = { key: `mbox@${msgStart}`, body: crlf(Buffer.concat(lines)), bytes: end - msgStart, next: { offset: end, index: 0 }, truncated: cut };
    lines = [];
    size = 0;
    cut = false;
    return item;
  };
  for await (const chunk of createReadStream(path, { start, highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let from = 0;
    for (let nl = pending.indexOf(0x0a, from); nl >= 0; nl = pending.indexOf(0x0a, from)) {
      const line = pending.subarray(from, nl + 1);
      const at = offset + from;
      from = nl + 1;
      if (prevEmpty && line.subarray(0, 5).toString('latin1') === 'From ') {
        const item = finish(at);
        if (item) yield item;
        msgStart = at;
        prevEmpty = false;
        continue;
      }
      prevEmpty = line.length <= 2 && (line.length === 1 || line[0] === 0x0d);
      if (msgStart < 0) continue; // garbage before the first From_ line
      const unquoted = /^>+From /.test(line.subarray(0, 64).toString('latin1')) ? line.subarray(1) : line;
      if (size + unquoted.length > MAX_IMPORT_MESSAGE) {
        cut = true;
        continue;
      }
      lines.push(Buffer.from(unquoted));
      size += unquoted.length;
    }
    offset += from;
    pending = pending.subarray(from);
  }
  if (pending.length && msgStart >= 0) {
    lines.push(Buffer.from(pending));
    offset += pending.length;
  }
  const item = finish(offset);
  if (item) yield item;
}
