// The admin API's bearer token lives in `<dataDir>/admin.token` (mode 0600): the gateway
// creates it on first start, the CLI on the same host reads it. Whoever can read the data
// directory is an admin already, so the file is the credential and no login step is needed.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin.token';

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, ADMIN_TOKEN_FILE);
}

/** Reads the token; throws the fs error (ENOENT when the gateway never started with this dataDir). */
export function readAdminToken(dataDir: string): string {
  const token = readFileSync(adminTokenPath(dataDir), 'utf8').trim();
  if (!token) throw new Error(`${adminTokenPath(dataDir)} is empty`);
  return token;
}

/** For the gateway's start-up: the existing token, or a new random one written with mode 0600. */
export function loadOrCreateAdminToken(dataDir: string): string {
  try {
    return readAdminToken(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  // 'wx': two processes starting at once must not overwrite each other's token.
  try {
    writeFileSync(adminTokenPath(dataDir), token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readAdminToken(dataDir);
    throw err;
  }
  return token;
}
