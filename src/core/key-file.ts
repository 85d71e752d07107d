// A 256-bit secret key in a file of its own (archive key, sealer key vault): read it, or make it
// once — write temp → fsync → rename → directory fsync, mode 0600 — so a crash never leaves a
// half-written key and two starts never make two keys. With `shared`, the key is also checked
// against the appliance's record of it (settings), so a cluster node with a missing or different
// key file refuses to start instead of sealing with a key the other nodes cannot open.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SettingsStore } from '../store/store.ts';

/** Where the appliance records which key a key file must hold (a check value, not the key). */
export interface SharedKeyCheck {
  settings: SettingsStore;
  /** e.g. "sealer", "portal" (settings key `keys.check.<name>`). */
  name: string;
}

/** A value that identifies the key without revealing it. */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update('gatehouse key check v1').digest('hex').slice(0, 32);
}

export async function loadOrCreateKeyFile(
  file: string,
  invalid: (message: string) => Error,
  shared?: SharedKeyCheck,
): Promise<{ key: Buffer; created: boolean }> {
  const settingsKey = shared ? `keys.check.${shared.name}` : '';
  const want = shared ? await shared.settings.get<string>(settingsKey) : undefined;
  if (want !== undefined && !existsSync(file)) {
    throw invalid(
      `${file} is missing, but this appliance already has a ${shared!.name} key (made on this or another node): ` +
        `copy keys/${basename(file)} from a node that has it (or restore it from the backup); a new key could not open what the old one sealed`,
    );
  }
  const r = await readOrCreate(file, invalid);
  if (shared) {
    const have = keyCheckValue(r.key);
    if (want === undefined) await shared.settings.set(settingsKey, have);
    else if (want !== have) {
      throw invalid(`${file} holds another ${shared.name} key than the one this appliance uses: copy keys/${basename(file)} from a node that has the right one`);
    }
  }
  return r;
}

async function readOrCreate(file: string, invalid: (message: string) => Error): Promise<{ key: Buffer; created: boolean }> {
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
