// The reply form of the portal as multipart/form-data (busboy): its fields and CSRF token, and the
// files the recipient attaches, streamed to a private spool directory under the configured limits
// (per file, total, count). The CSRF token must come before any file (the form puts it first), so a
// forged request spools nothing. Any failure removes every spooled file: nothing half-kept.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';

export interface ReplyUploadLimits {
  maxFileSize: number;
  maxTotalSize: number;
  maxFiles: number;
  /** Longest reply text, in bytes. */
  maxText: number;
}

export interface UploadedFile {
  /** As the recipient named it, without any path, control characters or over-long tail. */
  filename: string;
  contentType: string;
  /** The spooled bytes (removed by `discard`). */
  path: string;
  size: number;
  sha256: string;
}

export interface ReplyUpload {
  /** The form's other fields (the reply `text`, the message it answers), by name. */
  fields: Map<string, string>;
  files: UploadedFile[];
  /** Removes the spooled files; call it when the reply is sent or given up. */
  discard(): Promise<void>;
}

/** Why an upload was refused: HTTP status, page title and a sentence for the recipient. */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly text: string,
  ) {
    super(text);
  }
}

const mib = (n: number) => (n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);
const tooLarge = (text: string) => new UploadRefused(413, 'The reply is too large', `${text} Nothing was sent; go back and send a smaller reply.`);
/** Multipart framing allowed beyond the limits before a Content-Length is refused unread. */
const OVERHEAD = 64 * 1024;
/** After a refusal, the rest of a request is read and dropped up to this much, then the connection is cut. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Creates the spool directory (owner only) and removes files an earlier crash left behind. */
export async function prepareSpool(dir: string, olderThanMs = 3_600_000, now = Date.now()): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const name of await readdir(dir)) {
    const s = await stat(join(dir, name)).catch(() => null);
    if (s && now - s.mtimeMs > olderThanMs) await rm(join(dir, name), { force: true });
  }
}

export function safeFilename(name: string, index: number): string {
  const clean = name
    .replace(/[\x00-\x1f\x7f]/g, '')
    .replace(/^.*[\\/]/, '')
    .trim()
    .slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : `attachment-${index}`;
}

const TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** Reads a multipart reply form; rejects with UploadRefused (the request then drained or cut). */
export async function readReplyUpload(req: IncomingMessage, o: { limits: ReplyUploadLimits; spoolDir: string; csrfOk(token: string): boolean }): Promise<ReplyUpload> {
  const { limits } = o;
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limits.maxTotalSize + limits.maxText + OVERHEAD) {
    drain(req);
    throw tooLarge(`All files together may have at most ${mib(limits.maxTotalSize)}.`);
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fileSize: limits.maxFileSize + 1, fieldSize: limits.maxText, fields: 8, parts: limits.maxFiles + 16, headerPairs: 20 } });
  } catch {
    drain(req);
    throw new UploadRefused(400, 'The reply could not be read', 'Go back, reload the message and send your reply again.');
  }
  const files: UploadedFile[] = [];
  const spooled: string[] = [];
  const writing = new Set<Promise<void>>();
  const abort = new AbortController();
  const fields = new Map<string, string>();
  let csrfChecked = false;
  let total = 0;
  let count = 0;
  /** The spool files' write streams: a refused upload waits for each to be closed before removing it. */
  const outs: WriteStream[] = [];
  const discard = async () => {
    // A stream destroyed while its file was still being opened creates the file after the abort;
    // only once it has closed is a removal final.
    await Promise.all(outs.map((s) => (s.closed ? undefined : new Promise<void>((resolve) => s.once('close', () => resolve())))));
    await Promise.all(spooled.map((p) => rm(p, { force: true })));
  };

  return new Promise<ReplyUpload>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      drain(req);
      abort.abort();
      void Promise.allSettled([...writing])
        .then(discard)
        .finally(() => reject(err instanceof UploadRefused ? err : new UploadRefused(400, 'The reply could not be read', 'The upload broke off. Go back and send your reply again.')));
    };
    bb.on('field', (name, value, info) => {
      if (failed) return;
      if (info.valueTruncated) return fail(tooLarge(`The text may have at most ${mib(limits.maxText)}.`));
      if (name === 'csrf') {
        if (!o.csrfOk(value)) return fail(new UploadRefused(403, 'Please send the reply again', 'The form was out of date. Go back, reload the message and send your reply again.'));
        csrfChecked = true;
      } else fields.set(name, value);
    });
    bb.on('file', (_name, stream, info) => {
      if (failed) return void stream.resume();
      if (!csrfChecked) {
        stream.resume();
        return fail(new UploadRefused(403, 'Please send the reply again', 'The form was out of date. Go back, reload the message and send your reply again.'));
      }
      // A file input left empty still sends a part, with no name and no bytes.
      if (!info.filename) return void stream.resume();
      count += 1;
      if (count > limits.maxFiles) {
        stream.resume();
        return fail(tooLarge(limits.maxFiles ? `A reply may carry at most ${limits.maxFiles} file(s).` : 'Replies from the portal cannot carry files.'));
      }
      const path = join(o.spoolDir, `${randomUUID()}.part`);
      spooled.push(path);
      const hash = createHash('sha256');
      let size = 0;
      stream.once('limit', () => fail(tooLarge(`Each file may have at most ${mib(limits.maxFileSize)}; "${safeFilename(info.filename, count)}" is larger.`)));
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          total += chunk.length;
          if (size > limits.maxFileSize) return done(); // the 'limit' event refuses it
          if (total > limits.maxTotalSize) {
            fail(tooLarge(`All files together may have at most ${mib(limits.maxTotalSize)}.`));
            return done();
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const contentType = TYPE.test(info.mimeType) ? info.mimeType.toLowerCase() : 'application/octet-stream';
      const filename = safeFilename(info.filename, count);
      const out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
      outs.push(out);
      const w = pipeline(stream, counter, out, { signal: abort.signal }).then(
        () => void files.push({ filename, contentType, path, size, sha256: hash.digest('hex') }),
        (err: unknown) => fail(err),
      );
      writing.add(w);
      void w.finally(() => writing.delete(w));
    });
    bb.on('filesLimit', () => fail(tooLarge(`A reply may carry at most ${limits.maxFiles} file(s).`)));
    bb.on('partsLimit', () => fail(tooLarge('The form has too many parts.')));
    bb.on('fieldsLimit', () => fail(tooLarge('The form has too many fields.')));
    bb.on('error', fail);
    bb.on('close', () => {
      void Promise.allSettled([...writing]).then(() => {
        if (failed) return;
        if (!csrfChecked) return fail(new UploadRefused(403, 'Please send the reply again', 'The form was out of date. Go back, reload the message and send your reply again.'));
        // Files in the order the recipient chose them (the pipelines may finish in any order).
        files.sort((a, b) => spooled.indexOf(a.path) - spooled.indexOf(b.path));
        resolve({ fields, files, discard });
      });
    });
    req.once('aborted', () => fail(new UploadRefused(400, 'The reply could not be read', 'The upload broke off. Go back and send your reply again.')));
    req.once('error', fail);
    req.pipe(bb);
  });
}

/** Reads and drops the rest of a refused request so the client sees the answer; cuts off a flood. */
export function drain(req: IncomingMessage): void {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
    if (n > DRAIN_LIMIT) req.destroy();
  });
  req.resume();
}
