// `archive verify`: the chain of arrivals (changed, missing, moved entries), every stored mail
// read back through its integrity checks (GCM tag, SHA-256, size), every message in the index
// and in the chain, and no index row without a message. Each problem names the message or entry.
import type { ArchiveStore } from '../../store/store.ts';
import { ChainVerifier, type ChainReport } from '../compliance-log/hash-chain.ts';
import { archiveEntryHash } from './archive-chain.ts';
import { asIntegrityError, unseal } from './sealed-blob.ts';

export type ArchiveProblemKind = 'corrupt' | 'not-indexed' | 'index-orphan' | 'unchained' | 'entry-without-message' | 'entry-mismatch';

export interface ArchiveProblem {
  kind: ArchiveProblemKind;
  archiveId?: string;
  seq?: number;
  detail: string;
}

export interface ArchiveVerifyReport {
  ok: boolean;
  messages: number;
  /** The chain of arrivals; its problems name entries by seq. */
  chain: ChainReport;
  /** Problems of stored messages and the index. */
  problems: ArchiveProblem[];
  truncated: boolean;
}

const PAGE = 500;
const MAX_PROBLEMS = 1000;

export async function verifyArchive(store: ArchiveStore, keys: (id: string) => Buffer | undefined): Promise<ArchiveVerifyReport> {
  const problems: ArchiveProblem[] = [];
  let truncated = false;
  const add = (p: ArchiveProblem) => (problems.length < MAX_PROBLEMS ? problems.push(p) : (truncated = true));

  const chain = new ChainVerifier('entry');
  for (let after = 0; ; ) {
    const page = await store.scanEntries(after, PAGE);
    for (const { pos, record: e } of page) {
      after = pos;
      chain.add({ seq: e.seq, prevHash: e.prevHash, hash: e.hash, computed: archiveEntryHash(e) });
      const m = await store.get(e.archiveId);
      if (!m) add({ kind: 'entry-without-message', seq: e.seq, archiveId: e.archiveId, detail: `entry ${e.seq} names message ${e.archiveId}, which is not in the archive` });
      else if (m.contentHash !== e.contentHash) {
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
        for await (const _ of unseal(await store.openBlob(m.id), keys, m)) void _;
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
  return { ok: report.ok && !problems.length && !truncated, messages, chain: report, problems, truncated };
}
