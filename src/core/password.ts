// Password hashes (scrypt, from node:crypto): "scrypt$N$r$p$salt$hash", salt and hash base64.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scrypt(pw: string, salt: Buffer, len: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((res, rej) => scryptCb(pw, salt, len, o, (err, key) => (err ? rej(err) : res(key))));
}

export async function hashPassword(pw: string): Promise<string> {
  const N = 16384, r = 8, p = 1;
  const salt = randomBytes(16);
  const key = await scrypt(pw, salt, 32, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isPasswordHash(s: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(s);
}

/** Checks a password against a hash; a stored value that is not a hash is compared as plain text. */
export async function verifyPassword(pw: string, stored: string): Promise<boolean> {
  if (!isPasswordHash(stored)) {
    const a = Buffer.from(pw), b = Buffer.from(stored);
    return a.length === b.length && timingSafeEqual(a, b);
  }
  const [, n, r, p, salt, hash] = stored.split('$');
  const want = Buffer.from(hash, 'base64');
  const got = await scrypt(pw, Buffer.from(salt, 'base64'), want.length, { N: +n, r: +r, p: +p, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(got, want);
}
