// Archives one mail in a single pass: each chunk of the body is hashed (SHA-256, the dedup key),
// compressed and encrypted into a blob, and fed to the index extractor. A large mail streams
// (nothing holds it whole); a small one is done in memory in synchronous steps (cheaper). Then one durable transaction stores message, blob, index row and chain
// entry, or — when the content is archived already — links this arrival to it. A small mail's
// body part (after the header block) is sealed and stored apart, once per distinct body: copies
// of one mail that differ only in their headers share it (body dedup; not sealed again when the
// store has it), and their header blocks are compressed against the first copy's (a preset
// deflate dictionary stored sealed with the body). Large (streamed) mails stay one blob.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import { ArchiveBodyGoneError, type ArchiveEntry, type ArchiveStore, type NewArchivedBody, type NewArchivedMessage } from '../../store/store.ts';
import { GENESIS_HASH } from '../compliance-log/hash-chain.ts';
import type { ArchiveKey } from './archive-key.ts';
import { archiveEntryHash } from './archive-chain.ts';
import { IndexExtractor, type Extract, type ExtractLimits } from './index-extractor.ts';
import { feed, MAX_DICTIONARY, Sealer, sealSync, unsealSync, type Compression } from './sealed-blob.ts';
import { splitTrace, splitTraceSync } from './trace-header.ts';

export interface ArchiveDeps {
  store: ArchiveStore;
  key: ArchiveKey;
  compression: Compression;
  limits: ExtractLimits;
  /** Retention of an arrival that names none (archive.retention.defaultDays). */
  retentionDays: number;
  now?: () => number;
}

export interface Arrival {
  /** Queue id of the mail (null for imports). */
  mailId: string | null;
  receivedAt: number;
  envelope: Envelope;
  /** Size hint for the compressor. */
  size: number;
  /** A small mail in memory, or a stream. */
  body: Readable | Buffer;
  /** Overrides envelope.source in the entry (e.g. "journal"). */
  source?: string;
  /** Days to keep it from its arrival (the deciding policy's); default: deps.retentionDays. */
  retentionDays?: number;
}

export interface Archived {
  archiveId: string;
  entry: ArchiveEntry;
  deduplicated: boolean;
  size: number;
  storedSize: number;
  partial: string | null;
  /** No header could be read, or the parser failed: archived as it is, but worth counting. */
  malformed: boolean;
}

function message(id: string, contentHash: string, size: number, storedSize: number, x: Extract, a: Arrival, deps: ArchiveDeps): Omit<NewArchivedMessage, 'blob'> {
  const env = a.envelope;
  const rcpts = env.recipients.map((r) => r.address);
  const names = x.attachments.map((t) => t.name || `(${t.contentType})`);
  return {
    id,
    contentHash,
    size,
    storedSize,
    compression: deps.compression,
    keyId: deps.key.id,
    date: x.date ?? a.receivedAt,
    from: x.from || env.sender,
    to: x.to || rcpts.join(', '),
    cc: x.cc,
    subject: x.subject,
    messageId: x.messageId,
    attachments: names,
    retainUntil: a.receivedAt + (a.retentionDays ?? deps.retentionDays) * 86_400_000,
    addresses: headerAddresses(x.from, x.to, x.cc),
    index: {
      sender: [x.from, env.sender].filter(Boolean).join(' '),
      recipients: [x.to, x.cc, ...rcpts].filter(Boolean).join(' '),
      subject: x.subject,
      body: x.text,
      attachments: [...names, x.attachmentText].join(' '),
      messageId: x.messageId,
    },
  };
}

const ADDRESS = /[^\s<>,;:"()[\]@]+@[^\s<>,;:"()[\]@]+/g;

/** Every address in the given header values, lower case, once each. */
export function headerAddresses(...values: string[]): string[] {
  const out = new Set<string>();
  for (const v of values) for (const m of v.matchAll(ADDRESS)) out.add(m[0].toLowerCase().replace(/\.$/, ''));
  return [...out];
}

/** Body parts smaller than this stay in the message's own blob (a row of their own costs more). */
export const MIN_SHARED_BODY = 128;

/** Where the header block ends (after its empty line), or -1 when there is none. */
export function headerBlockEnd(mail: Buffer): number {
  const crlf = mail.indexOf('\r\n\r\n');
  const lf = mail.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 1 <= lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : -1;
}

interface BodySplit {
  body: NewArchivedBody;
  plain: Buffer;
}

/**
 * Dictionaries (plaintext) of recently seen shared bodies: copies come in bursts. Keyed by the
 * sealed dictionary's IV and tag, never by the body hash alone: a body deleted and stored again
 * (here or on another node) comes with another dictionary.
 */
const dictionaries = new Map<string, Buffer>();
const DICTIONARIES_KEPT = 2048;

function dictionaryOf(hash: string, sealed: Buffer | null, deps: ArchiveDeps): Buffer | null {
  if (!sealed) return null;
  const k = `${hash}:${sealed.subarray(13, 25).toString('hex')}:${sealed.subarray(-16).toString('hex')}`;
  let d = dictionaries.get(k);
  if (d) return d;
  try {
    d = unsealSync(sealed, (id) => (id === deps.key.id ? deps.key.key : undefined), deps.compression);
  } catch {
    return null; // another key or compression, or damaged: this copy's header block is compressed on its own
  }
  if (dictionaries.size >= DICTIONARIES_KEPT) dictionaries.delete(dictionaries.keys().next().value!);
  dictionaries.set(k, d);
  return d;
}

/**
 * The body part to store apart: when new, sealed with this header block as its dictionary (and
 * the header block itself compressed against it: a few dozen bytes, the header is stored once);
 * when the store has it (blob: null), the header block is compressed against its dictionary.
 */
async function sharedBody(content: Buffer, deps: ArchiveDeps, known: boolean): Promise<{ head: Buffer; dictionary: Buffer | null; split: BodySplit } | null> {
  const cut = headerBlockEnd(content);
  if (cut < 0 || content.length - cut < MIN_SHARED_BODY) return null;
  const head = content.subarray(0, cut);
  const plain = content.subarray(cut);
  const hash = createHash('sha256').update(plain).digest('hex');
  const found = known ? await deps.store.findBody(hash) : null;
  const body = { hash, size: plain.length, compression: deps.compression, keyId: deps.key.id };
  if (found) return { head, dictionary: dictionaryOf(hash, found.dict, deps), split: { plain, body: { ...body, storedSize: 0, blob: null } } };
  const sealed = sealSync(deps.key, deps.compression, plain);
  const dictionary = head.subarray(-MAX_DICTIONARY);
  const dict = sealSync(deps.key, deps.compression, dictionary);
  return { head, dictionary, split: { plain, body: { ...body, storedSize: sealed.length + dict.length, blob: { inline: sealed }, dict } } };
}

/** The body through hash, seal and extractor, in memory (small mail) or streaming. */
async function seal(a: Arrival, deps: ArchiveDeps, extractor: IndexExtractor, signal?: AbortSignal, lookup = true) {
  const blob = await deps.store.createBlob();
  if (Buffer.isBuffer(a.body)) {
    const { trace, content } = a.mailId ? splitTraceSync(a.body, a.mailId) : { trace: null, content: a.body };
    try {
      const parts = await sharedBody(content, deps, lookup);
      const sealed = sealSync(deps.key, deps.compression, parts ? parts.head : content, parts?.dictionary ?? undefined);
      await blob.write(sealed);
      await extractor.write(content);
      const ref = await blob.commit();
      const storedSize = sealed.length + (parts?.split.body.storedSize ?? 0);
      const compression = parts?.dictionary ? ('deflate-dict' as const) : deps.compression;
      return { trace, ref, size: content.length, storedSize, contentHash: createHash('sha256').update(content).digest('hex'), split: parts?.split, compression };
    } catch (err) {
      await blob.abort().catch(() => undefined);
      throw err;
    }
  }
  const { trace, content } = a.mailId ? await splitTrace(a.body, a.mailId) : { trace: null, content: a.body as AsyncIterable<Buffer> };
  const sealer = new Sealer(deps.key, deps.compression, blob, a.size);
  sealer.done.catch(() => undefined); // awaited below; never an unhandled rejection
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of content) {
      signal?.throwIfAborted();
      hash.update(chunk);
      size += chunk.length;
      await feed(sealer.input, chunk);
      await extractor.write(chunk);
    }
    sealer.input.end();
    const storedSize = await sealer.done;
    const ref = await blob.commit();
    return { trace, ref, size, storedSize, contentHash: hash.digest('hex'), split: undefined, compression: deps.compression };
  } catch (err) {
    sealer.input.destroy();
    await blob.abort().catch(() => undefined);
    throw err;
  }
}

/** `lookup` false: seal the body part as new; `attempt`: how often a shared body changed under this arrival. */
export async function archiveMail(a: Arrival, deps: ArchiveDeps, signal?: AbortSignal, lookup = true, attempt = 0): Promise<Archived> {
  const now = deps.now ?? Date.now;
  const extractor = new IndexExtractor(deps.limits);
  let sealed;
  try {
    sealed = await seal(a, deps, extractor, signal, lookup);
  } catch (err) {
    await extractor.finish().catch(() => undefined);
    throw err;
  }
  const { trace, ref, size, storedSize, contentHash, split, compression } = sealed;
  const x = await extractor.finish();
  const env = a.envelope;
  const m: NewArchivedMessage = { ...message(newMailId(), contentHash, size, storedSize, x, a, deps), compression, blob: ref, ...(split ? { body: split.body } : {}) };
  const entry = (last: { seq: number; hash: string } | null, archiveId: string): ArchiveEntry => {
    const e = {
      seq: (last?.seq ?? 0) + 1,
      at: now(),
      archiveId,
      contentHash,
      mailId: a.mailId,
      receivedAt: a.receivedAt,
      direction: env.direction,
      source: a.source ?? env.source,
      sender: env.sender,
      recipients: env.recipients.map((r) => r.address),
      clientIp: env.clientIp ?? null,
      trace,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    return { ...e, hash: archiveEntryHash(e) };
  };
  let stored;
  try {
    stored = await deps.store.archive({ message: m, entry });
  } catch (err) {
    // The shared body was deleted (expired) after findBody(), or another arrival stored it first:
    // once more (a small mail: in memory), sealing it as new, or compressed against the stored one.
    if (err instanceof ArchiveBodyGoneError && attempt < 3 && Buffer.isBuffer(a.body)) return archiveMail(a, deps, signal, err.code === 'ARCHIVE_BODY_STORED', attempt + 1);
    throw err;
  }
  const { entry: archived, deduplicated } = stored;
  const malformed = x.headers.length === 0 || /parse error/.test(x.partial ?? '');
  return { archiveId: archived.archiveId, entry: archived, deduplicated, size, storedSize, partial: x.partial, malformed };
}
