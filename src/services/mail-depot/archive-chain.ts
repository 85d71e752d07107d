// The hash of an archive chain entry: SHA-256 over its canonical form, which covers the content
// hash of the mail, the arrival's metadata and the previous entry's hash.
import type { ArchiveEntry } from '../../store/store.ts';
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
