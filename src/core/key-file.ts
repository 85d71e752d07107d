// A 256-bit secret key in a file of its own (archive key, sealer key vault): read it, or make it
// once — write temp → fsync → rename → directory fsync, mode 0600 — so a crash never leaves a
// half-written key and two starts never make two keys.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function loadOrCreateKeyFile(file: string, invalid: (message: string) => Error): Promise<{ key: Buffer; created: boolean }> {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw invalid(`${file} does not hold a 256-bit key (base64)`);
    return { key, created: false };
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
  return { key, created: true };
}
