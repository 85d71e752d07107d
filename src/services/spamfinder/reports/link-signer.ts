// Signed, expiring links for quarantine reports: the token carries the mail id, the recipient it
// was reported to and an expiry, sealed with an HMAC-SHA256 under a key that lives in
// <dataDir>/quarantine-links.key (mode 0600, made at first use). Tampered or expired → null.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LinkClaim {
  mailId: string;
  recipient: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export interface LinkSigner {
  sign(c: LinkClaim): string;
  verify(token: string, now?: number): LinkClaim | null;
}

export function loadOrCreateLinkKey(dataDir: string): Buffer {
  const file = join(dataDir, 'quarantine-links.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateLinkKey(dataDir);
    throw err;
  }
  return key;
}

export function createLinkSigner(key: Buffer): LinkSigner {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 20);
  return {
    sign(c) {
      const payload = Buffer.from(JSON.stringify([c.mailId, c.recipient, c.exp])).toString('base64url');
      return `${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token, now = Date.now()) {
      const [payload, sig] = token.split('.');
      if (!payload || !sig) return null;
      const want = mac(payload);
      const got = Buffer.from(sig, 'base64url');
      if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
      try {
        const [mailId, recipient, exp] = JSON.parse(Buffer.from(payload, 'base64url').toString()) as [string, string, number];
        if (typeof mailId !== 'string' || typeof recipient !== 'string' || typeof exp !== 'number' || exp < now) return null;
        return { mailId, recipient, exp };
      } catch {
        return null;
      }
    },
  };
}
