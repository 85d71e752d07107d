// The portal's cryptography. Each stored mail has its own random 256-bit content key (the mail is
// sealed with AES-256-GCM under it); that key is wrapped (AES-256-GCM, bound to the message id)
// under the appliance's portal key until a password is known, then under a key-encryption key
// HKDF-SHA256(scrypt(password, salt), message id). A wrong key never opens: unwrap returns null.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
/** scrypt cost: about 32 MiB and ~0.1 s per derivation, paid once per password entry. */
const N = 32768;
const R = 8;
const P = 1;
export const PORTAL_KDF = `scrypt:N=${N},r=${R},p=${P}`;

export const newContentKey = (): Buffer => randomBytes(32);
export const newSalt = (): Buffer => randomBytes(16);

/** version (1) ‖ nonce (12) ‖ tag (16) ‖ ciphertext, with `aad` bound in. */
export function seal(key: Buffer, aad: string, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
}

/** The plaintext, or null when the key is wrong or the data was changed. */
export function open(key: Buffer, aad: string, sealed: Buffer): Buffer | null {
  if (sealed.length < 29 || sealed[0] !== VERSION) return null;
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(13, 29));
  try {
    return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
  } catch {
    return null;
  }
}

/** The password's master secret (scrypt); the per-message keys and the verifier come from it. */
export function passwordSecret(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** The key-encryption key of one message under a password's master secret. */
export function messageKek(secret: Buffer, messageId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(messageId, 'utf8'), 'gatehouse portal message key v1', 32));
}

/** What an account keeps to check a password before anything is re-wrapped under it. */
export function verifierOf(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'gatehouse portal password verifier v1', 32));
}

export function verifierMatches(secret: Buffer, verifier: Buffer): boolean {
  const v = verifierOf(secret);
  return v.length === verifier.length && timingSafeEqual(v, verifier);
}
