// The archive's encryption key: 32 random bytes in <dataDir>/keys/archive.key (mode 0600, in a
// 0700 directory), made at the first start and kept apart from the archive files, so a copy of
// the archive alone reveals no mail. The key id (first 8 bytes of its SHA-256) is stored with
// every message, so a missing or replaced key is noticed before any mail is archived under it.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

function parse(text: string, file: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 256-bit key (base64)`);
  return key;
}

/** Loads the key, or makes it (write temp → fsync → rename) when there is none. */
export async function loadOrCreateArchiveKey(dataDir: string): Promise<ArchiveKey & { created: boolean }> {
  const file = archiveKeyPath(dataDir);
  if (existsSync(file)) {
    const key = parse(readFileSync(file, 'utf8'), file);
    return { key, id: archiveKeyId(key), created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(key.toString('base64') + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return { key, id: archiveKeyId(key), created: true };
}
