// The archive's blob format: the mail compressed (brotli or gzip), then encrypted with
// AES-256-GCM. Layout: "GHA1" | compression (1 byte) | key id (8) | IV (12) | ciphertext | tag (16);
// the first 25 bytes are the GCM additional data, so the header cannot be swapped either.
// Both directions stream: a 50 MB mail never sits in memory. Reading checks the GCM tag and the
// SHA-256 and size of the plaintext against what the archive recorded; any mismatch, and any
// error of the decompressor on damaged input, is an ArchiveIntegrityError.
import { createCipheriv, createDecipheriv, createHash, randomBytes, type DecipherGCM } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable, Transform, Writable, pipeline, type TransformCallback } from 'node:stream';
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  createBrotliCompress,
  createBrotliDecompress,
  createGunzip,
  createGzip,
  createInflateRaw,
  deflateRawSync,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import type { ArchiveBlobWriter } from '../../store/store.ts';
import type { ArchiveKey } from './archive-key.ts';

export type Compression = 'brotli' | 'gzip';
/**
 * What a blob may be compressed with: the configured compression, or raw deflate with a preset
 * dictionary (the header block of the first copy of a shared body: copies' header blocks differ
 * in a few lines only). The dictionary is stored sealed with the body part.
 */
export type SealCompression = Compression | 'deflate-dict';
/** Deflate's window: a preset dictionary longer than this is cut to its end. */
export const MAX_DICTIONARY = 32 * 1024;

const MAGIC = Buffer.from('GHA1', 'latin1');
const HEADER_LEN = 25;
const TAG_LEN = 16;
const COMPRESSION_BYTE: Record<SealCompression, number> = { brotli: 1, gzip: 2, 'deflate-dict': 3 };
const DEFLATE_DICT = { level: 9 };

export class ArchiveIntegrityError extends Error {
  readonly code = 'ARCHIVE_INTEGRITY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArchiveIntegrityError';
  }
}

const GZIP = { level: 6 };
// Quality 5: most of brotli's gain on mail text at a small part of the CPU of its default (11).
// The window is kept to 1 MiB (lgwin 20, default 4 MiB): a streamed mail's compressor then
// holds a few MiB, not tens, and mail gains little from matches further back.
const brotli = (sizeHint: number) => ({
  params: {
    [constants.BROTLI_PARAM_QUALITY]: 5,
    [constants.BROTLI_PARAM_LGWIN]: 20,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    [constants.BROTLI_PARAM_SIZE_HINT]: sizeHint,
  },
});

function compressor(c: Compression, sizeHint: number): Transform {
  return c === 'gzip' ? createGzip(GZIP) : createBrotliCompress(brotli(sizeHint));
}

function header(k: ArchiveKey, compression: SealCompression, iv: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([COMPRESSION_BYTE[compression]]), Buffer.from(k.id, 'hex'), iv]);
}

/**
 * The blob of a small mail already in memory, in one synchronous step. Measured: a streamed
 * brotli of a 4 KiB mail costs ~0.19 ms of CPU (thread-pool round trips), the synchronous call
 * ~0.02 ms; the depot takes this path for mails up to a few hundred KiB.
 */
export function sealSync(k: ArchiveKey, compression: Compression, plain: Buffer, dictionary?: Buffer): Buffer {
  const c: SealCompression = dictionary ? 'deflate-dict' : compression;
  const iv = randomBytes(12);
  const head = header(k, c, iv);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(head);
  const z = dictionary
    ? deflateRawSync(plain, { ...DEFLATE_DICT, dictionary: dictionary.subarray(-MAX_DICTIONARY) })
    : compression === 'gzip'
      ? gzipSync(plain, GZIP)
      : brotliCompressSync(plain, brotli(plain.length));
  const body = cipher.update(z);
  const last = cipher.final();
  return Buffer.concat([head, body, last, cipher.getAuthTag()]);
}

/** Writes `chunk` to a stream and waits while the stream asks for a pause (or fails). */
export async function feed(w: Writable, chunk: Buffer): Promise<void> {
  if (!w.write(chunk)) await once(w, 'drain');
}

/** Compresses and encrypts what is written to `input` into `sink`. */
export class Sealer {
  readonly input: Transform;
  /** Resolves with the stored size once everything is in the sink (after input.end()). */
  readonly done: Promise<number>;

  constructor(k: ArchiveKey, compression: Compression, sink: ArchiveBlobWriter, sizeHint = 0) {
    const iv = randomBytes(12);
    const head = header(k, compression, iv);
    const cipher = createCipheriv('aes-256-gcm', k.key, iv);
    cipher.setAAD(head);
    let stored = 0;
    let headerWritten = false;
    const write = async (b: Buffer) => {
      if (!headerWritten) {
        headerWritten = true;
        stored += head.length;
        await sink.write(head);
      }
      stored += b.length;
      await sink.write(b);
    };
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        write(chunk).then(() => cb(), cb);
      },
      final(cb) {
        write(cipher.getAuthTag()).then(() => cb(), cb);
      },
    });
    this.input = compressor(compression, sizeHint);
    this.done = new Promise((resolve, reject) => pipeline(this.input, cipher, out, (err) => (err ? reject(err) : resolve(stored))));
  }
}

/** Decrypts a blob: checks the header, holds the last 16 bytes back as the tag, verifies it at the end. */
class Decrypt extends Transform {
  private head: Buffer | null = Buffer.alloc(0) as Buffer;
  private tail: Buffer = Buffer.alloc(0);
  private decipher: DecipherGCM | null = null;

  constructor(
    private readonly keys: (id: string) => Buffer | undefined,
    private readonly expected: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (this.head) {
        this.head = Buffer.concat([this.head, chunk]);
        if (this.head.length < HEADER_LEN) return cb();
        chunk = this.start(this.head);
        this.head = null;
      }
      const all = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
      const cut = Math.max(0, all.length - TAG_LEN);
      this.tail = all.subarray(cut);
      if (cut) this.push(this.decipher!.update(all.subarray(0, cut)));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.head || this.tail.length < TAG_LEN) return cb(new ArchiveIntegrityError('the stored content is truncated'));
    try {
      this.decipher!.setAuthTag(this.tail);
      this.push(this.decipher!.final());
      cb();
    } catch (err) {
      cb(new ArchiveIntegrityError('the stored content fails its authentication tag (changed or damaged)', { cause: err }));
    }
  }

  private start(head: Buffer): Buffer {
    if (!head.subarray(0, 4).equals(MAGIC)) throw new ArchiveIntegrityError('the stored content has no archive header');
    const c = Object.entries(COMPRESSION_BYTE).find(([, b]) => b === head[4]);
    if (!c) throw new ArchiveIntegrityError(`unknown compression ${head[4]} in the archive header`);
    if (c[0] !== this.expected) throw new ArchiveIntegrityError(`the stored content is compressed with ${c[0]}, the archive recorded ${this.expected}`);
    const keyId = head.subarray(5, 13).toString('hex');
    const key = this.keys(keyId);
    if (!key) throw new ArchiveIntegrityError(`the key ${keyId} this mail was encrypted with is not available`);
    this.decipher = createDecipheriv('aes-256-gcm', key, head.subarray(13, HEADER_LEN));
    this.decipher.setAAD(head.subarray(0, HEADER_LEN));
    return head.subarray(HEADER_LEN);
  }
}

/** Counts and hashes the plaintext; at the end compares with what the archive recorded. */
class Check extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  constructor(
    private readonly expect: { contentHash: string; size: number },
    private readonly what = 'the stored content',
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.size !== this.expect.size) return cb(new ArchiveIntegrityError(`${this.what} is ${this.size} bytes, ${this.expect.size} were archived`));
    if (this.hash.digest('hex') !== this.expect.contentHash) return cb(new ArchiveIntegrityError(`${this.what} does not match its SHA-256`));
    cb();
  }
}

/** Any error while reading a blob back, as the integrity failure it means to the archive. */
export function asIntegrityError(err: unknown): ArchiveIntegrityError {
  if (err instanceof ArchiveIntegrityError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return new ArchiveIntegrityError('the stored content is missing', { cause: err });
  return new ArchiveIntegrityError(`the stored content cannot be read back (${e?.message ?? String(err)})`, { cause: err });
}

/**
 * The plaintext of a blob as a stream that fails at its end when anything does not check out:
 * a consumer treats the data as valid only once the stream ended cleanly, and passes any error
 * through asIntegrityError(). `expect.compression` is what the archive recorded; the header
 * must say the same.
 */
export function unseal(
  blob: Readable,
  keys: (id: string) => Buffer | undefined,
  expect: { contentHash: string; size: number; compression: string },
): Readable {
  const decrypt = new Decrypt(keys, expect.compression);
  const check = new Check(expect);
  const z = expect.compression === 'gzip' ? createGunzip() : createBrotliDecompress();
  pipeline(blob, decrypt, z, check, () => undefined);
  return check;
}

function decompressor(compression: string, dictionary?: Buffer): Transform {
  if (compression === 'deflate-dict') {
    if (!dictionary) throw new ArchiveIntegrityError('the stored content needs its dictionary, which is missing');
    return createInflateRaw({ dictionary: dictionary.subarray(-MAX_DICTIONARY) });
  }
  return compression === 'gzip' ? createGunzip() : createBrotliDecompress();
}

/**
 * A small sealed blob (a dictionary) back to its plaintext in one synchronous step, checking its
 * header and GCM tag; any failure is an ArchiveIntegrityError.
 */
export function unsealSync(blob: Buffer, keys: (id: string) => Buffer | undefined, compression: Compression): Buffer {
  try {
    if (blob.length < HEADER_LEN + TAG_LEN || !blob.subarray(0, 4).equals(MAGIC)) throw new ArchiveIntegrityError('the stored dictionary has no archive header');
    if (blob[4] !== COMPRESSION_BYTE[compression]) throw new ArchiveIntegrityError(`the stored dictionary is not compressed with ${compression}`);
    const key = keys(blob.subarray(5, 13).toString('hex'));
    if (!key) throw new ArchiveIntegrityError('the key the dictionary was encrypted with is not available');
    const d = createDecipheriv('aes-256-gcm', key, blob.subarray(13, HEADER_LEN));
    d.setAAD(blob.subarray(0, HEADER_LEN));
    d.setAuthTag(blob.subarray(blob.length - TAG_LEN));
    const z = Buffer.concat([d.update(blob.subarray(HEADER_LEN, blob.length - TAG_LEN)), d.final()]);
    return compression === 'gzip' ? gunzipSync(z) : brotliDecompressSync(z);
  } catch (err) {
    if (err instanceof ArchiveIntegrityError) throw err;
    throw new ArchiveIntegrityError('the stored dictionary fails its authentication tag (changed or damaged)', { cause: err });
  }
}

/** One sealed part of a mail stored in parts (header block, then the deduplicated body). */
export interface SealedPart {
  blob: Readable;
  compression: string;
  /** Checked on its own as well (the body part against its body hash), when given. */
  expect?: { contentHash: string; size: number };
  /** The preset dictionary of a 'deflate-dict' part. */
  dictionary?: Buffer;
}

/**
 * Like unseal(), for a mail stored as parts: each part's GCM tag (and its own hash, when given)
 * is checked, and the plaintexts one after the other must give the whole mail's SHA-256 and size.
 */
export function unsealParts(parts: SealedPart[], keys: (id: string) => Buffer | undefined, expect: { contentHash: string; size: number }): Readable {
  async function* plain(): AsyncGenerator<Buffer> {
    for (const p of parts) {
      const decrypt = new Decrypt(keys, p.compression);
      const z = decompressor(p.compression, p.dictionary);
      const out = p.expect ? new Check(p.expect, 'the stored body part') : new PassThrough();
      pipeline(p.blob, decrypt, z, out, () => undefined);
      for await (const chunk of out) yield chunk as Buffer;
    }
  }
  const check = new Check(expect);
  pipeline(Readable.from(plain(), { objectMode: false }), check, () => undefined);
  return check;
}
