// The hashes of the archive's two chains: arrivals (an entry covers the content hash of the mail,
// the arrival's metadata and the previous entry's hash) and deletions by the expiry job.
import type { ArchiveDeletion, ArchiveEntry } from '../../store/store.ts';
import { canonicalJson, sha256Hex } from '../compliance-log/hash-chain.ts';

export function archiveEntryHash(e: Omit<ArchiveEntry, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      seq: e.seq,
      at: e.at,
      archiveId: e.archiveId,
      contentHash: e.contentHash,
      mailId: e.mailId,
      receivedAt: e.receivedAt,
      direction: e.direction,
      source: e.source,
      sender: e.sender,
      recipients: e.recipients,
      clientIp: e.clientIp,
      trace: e.trace,
      prev: e.prevHash,
    }),
  );
}

/** The hash of a deletion (tombstone): over what was deleted, when, why, by whom, and the previous deletion's hash. */
export function archiveDeletionHash(d: Omit<ArchiveDeletion, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      seq: d.seq,
      at: d.at,
      archiveId: d.archiveId,
      contentHash: d.contentHash,
      archivedAt: d.archivedAt,
      retainUntil: d.retainUntil,
      reason: d.reason,
      actor: d.actor,
      prev: d.prevHash,
    }),
  );
}
