// The archive's encryption key: 32 random bytes in <dataDir>/keys/archive.key (mode 0600, in a
// 0700 directory), made at the first start and kept apart from the archive files, so a copy of
// the archive alone reveals no mail. The key id (first 8 bytes of its SHA-256) is stored with
// every message, so a missing or replaced key is noticed before any mail is archived under it.
import { loadOrCreateKeyFile, type SharedKeyCheck } from '../../core/key-file.ts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export interface ArchiveKey {
  key: Buffer;
  /** 16 hex chars. */
  id: string;
}

export function archiveKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'archive.key');
}

export function archiveKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Loads the key, or makes it (write temp → fsync → rename) when there is none. */
export async function loadOrCreateArchiveKey(dataDir: string, shared?: SharedKeyCheck): Promise<ArchiveKey & { created: boolean }> {
  const file = archiveKeyPath(dataDir);
  const { key, created } = await loadOrCreateKeyFile(file, (m) => new Error(m), shared);
  return { key, id: archiveKeyId(key), created };
}
