// Archives one mail in a single pass: each chunk of the body is hashed (SHA-256, the dedup key),
// compressed and encrypted into a blob, and fed to the index extractor. A large mail streams
// (nothing holds it whole); a small one is done in memory in synchronous steps (cheaper). Then one durable transaction stores message, blob, index row and chain
// entry, or — when the content is archived already — links this arrival to it.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import type { ArchiveEntry, ArchiveStore, NewArchivedMessage } from '../../store/store.ts';
import { GENESIS_HASH } from '../compliance-log/hash-chain.ts';
import type { ArchiveKey } from './archive-key.ts';
import { archiveEntryHash } from './archive-chain.ts';
import { IndexExtractor, type Extract, type ExtractLimits } from './index-extractor.ts';
import { feed, Sealer, sealSync, type Compression } from './sealed-blob.ts';
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

/** The body through hash, seal and extractor, in memory (small mail) or streaming. */
async function seal(a: Arrival, deps: ArchiveDeps, extractor: IndexExtractor, signal?: AbortSignal) {
  const blob = await deps.store.createBlob();
  if (Buffer.isBuffer(a.body)) {
    const { trace, content } = a.mailId ? splitTraceSync(a.body, a.mailId) : { trace: null, content: a.body };
    try {
      const sealed = sealSync(deps.key, deps.compression, content);
      await blob.write(sealed);
      await extractor.write(content);
      const ref = await blob.commit();
      return { trace, ref, size: content.length, storedSize: sealed.length, contentHash: createHash('sha256').update(content).digest('hex') };
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
    return { trace, ref, size, storedSize, contentHash: hash.digest('hex') };
  } catch (err) {
    sealer.input.destroy();
    await blob.abort().catch(() => undefined);
    throw err;
  }
}

export async function archiveMail(a: Arrival, deps: ArchiveDeps, signal?: AbortSignal): Promise<Archived> {
  const now = deps.now ?? Date.now;
  const extractor = new IndexExtractor(deps.limits);
  let sealed;
  try {
    sealed = await seal(a, deps, extractor, signal);
  } catch (err) {
    await extractor.finish().catch(() => undefined);
    throw err;
  }
  const { trace, ref, size, storedSize, contentHash } = sealed;
  const x = await extractor.finish();
  const env = a.envelope;
  const m = { ...message(newMailId(), contentHash, size, storedSize, x, a, deps), blob: ref };
  const { entry, deduplicated } = await deps.store.archive({
    message: m,
    entry: (last, archiveId) => {
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
    },
  });
  const malformed = x.headers.length === 0 || /parse error/.test(x.partial ?? '');
  return { archiveId: entry.archiveId, entry, deduplicated, size, storedSize, partial: x.partial, malformed };
}
