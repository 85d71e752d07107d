// `archive verify`: the chain of arrivals (changed, missing, moved entries), every stored mail
// read back through its integrity checks (GCM tag, SHA-256, size), every message in the index
// and in the chain, and no index row without a message. Each problem names the message or entry.
// A chain entry whose message is gone is fine only when the expiry job deleted it: a tombstone
// in the (hash-chained) deletions with the same content hash, recorded in the compliance log.
import type { ArchiveStore } from '../../store/store.ts';
import { ChainVerifier, type ChainReport } from '../compliance-log/hash-chain.ts';
import { archiveDeletionHash, archiveEntryHash } from './archive-chain.ts';
import { asIntegrityError } from './sealed-blob.ts';
import { openArchivedMail } from './archived-mail.ts';

export type ArchiveProblemKind =
  | 'corrupt'
  | 'not-indexed'
  | 'index-orphan'
  | 'unchained'
  | 'entry-without-message'
  | 'entry-mismatch'
  | 'deletion-mismatch'
  | 'deletion-unrecorded'
  | 'deleted-but-present';

export const ARCHIVE_PROBLEM_KINDS: readonly ArchiveProblemKind[] = [
  'corrupt',
  'not-indexed',
  'index-orphan',
  'unchained',
  'entry-without-message',
  'entry-mismatch',
  'deletion-mismatch',
  'deletion-unrecorded',
  'deleted-but-present',
];

/** Deletions the compliance log records: archive id → content hash. */
export type RecordedDeletions = () => Promise<Map<string, string>>;

export interface ArchiveProblem {
  kind: ArchiveProblemKind;
  archiveId?: string;
  seq?: number;
  detail: string;
}

export interface ArchiveVerifyReport {
  ok: boolean;
  messages: number;
  /** Messages the expiry job deleted (tombstones; their chain entries stay). */
  deleted: number;
  /** The chain of arrivals; its problems name entries by seq. */
  chain: ChainReport;
  /** The chain of deletions; its problems name deletions by seq. */
  deletions: ChainReport;
  /** Problems of stored messages and the index. */
  problems: ArchiveProblem[];
  truncated: boolean;
}

const PAGE = 500;
const MAX_PROBLEMS = 1000;

export async function verifyArchive(store: ArchiveStore, keys: (id: string) => Buffer | undefined, recorded?: RecordedDeletions): Promise<ArchiveVerifyReport> {
  const problems: ArchiveProblem[] = [];
  let truncated = false;
  const add = (p: ArchiveProblem) => (problems.length < MAX_PROBLEMS ? problems.push(p) : (truncated = true));

  const logged = recorded ? await recorded() : null;
  const dchain = new ChainVerifier('deletion');
  let deleted = 0;
  for (let after = 0; ; ) {
    const page = await store.scanDeletions(after, PAGE);
    for (const { pos, record: d } of page) {
      after = pos;
      deleted++;
      dchain.add({ seq: d.seq, prevHash: d.prevHash, hash: d.hash, computed: archiveDeletionHash(d) });
      if (await store.get(d.archiveId)) add({ kind: 'deleted-but-present', seq: d.seq, archiveId: d.archiveId, detail: `deletion ${d.seq} names message ${d.archiveId}, which is still in the archive` });
      if (logged && logged.get(d.archiveId) !== d.contentHash) {
        add({ kind: 'deletion-unrecorded', seq: d.seq, archiveId: d.archiveId, detail: `deletion ${d.seq} of message ${d.archiveId} is not in the compliance log` });
      }
    }
    if (page.length < PAGE) break;
  }

  const chain = new ChainVerifier('entry');
  for (let after = 0; ; ) {
    const page = await store.scanEntries(after, PAGE);
    for (const { pos, record: e } of page) {
      after = pos;
      chain.add({ seq: e.seq, prevHash: e.prevHash, hash: e.hash, computed: archiveEntryHash(e) });
      const m = await store.get(e.archiveId);
      if (!m) {
        const d = await store.deletionOf(e.archiveId);
        if (!d) add({ kind: 'entry-without-message', seq: e.seq, archiveId: e.archiveId, detail: `entry ${e.seq} names message ${e.archiveId}, which is not in the archive and was not deleted by the expiry job` });
        else if (d.contentHash !== e.contentHash) {
          add({ kind: 'deletion-mismatch', seq: e.seq, archiveId: e.archiveId, detail: `entry ${e.seq} and the deletion of message ${e.archiveId} disagree about the content hash` });
        }
      } else if (m.contentHash !== e.contentHash) {
        add({ kind: 'entry-mismatch', seq: e.seq, archiveId: e.archiveId, detail: `entry ${e.seq} and message ${e.archiveId} disagree about the content hash` });
      }
    }
    if (page.length < PAGE) break;
  }

  let messages = 0;
  for (let after = 0; ; ) {
    const page = await store.scanMessages(after, PAGE);
    for (const { pos, record: m } of page) {
      after = pos;
      messages++;
      try {
        for await (const _ of await openArchivedMail(store, m, keys)) void _;
      } catch (err) {
        add({ kind: 'corrupt', archiveId: m.id, detail: `message ${m.id} fails its integrity check: ${asIntegrityError(err).message}` });
      }
      if (!m.indexed) add({ kind: 'not-indexed', archiveId: m.id, detail: `message ${m.id} has no row in the search index` });
      if (!(await store.entriesOf(m.id)).length) add({ kind: 'unchained', archiveId: m.id, detail: `message ${m.id} has no entry in the chain` });
    }
    if (page.length < PAGE) break;
  }
  for (const pos of await store.orphanIndexRows()) add({ kind: 'index-orphan', detail: `index row ${pos} belongs to no message` });

  const report = chain.finish();
  const dreport = dchain.finish();
  return { ok: report.ok && dreport.ok && !problems.length && !truncated, messages, deleted, chain: report, deletions: dreport, problems, truncated };
}
