// RSA key transport for CMS recipients: RSAES-PKCS1-v1_5 (what `openssl cms -encrypt` and most
// clients send) and RSAES-OAEP. Node refuses PKCS#1 v1.5 private decryption since the Marvin
// fix, so it is done here over raw RSA with implicit rejection: a bad padding yields a key derived
// from the ciphertext instead of an error, and the content decryption then fails like any damage,
// so nothing tells a sender (through a bounce, say) whether its padding was right.
import { constants, createHash, createHmac, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';

export function rsaPkcs1Encrypt(publicKey: KeyObject, cek: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, cek);
}

export function rsaOaepEncrypt(publicKey: KeyObject, cek: Buffer, hash: string): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, cek);
}

export function rsaOaepDecrypt(privateKey: KeyObject, encrypted: Buffer, hash: string): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encrypted);
}

/** The secret behind the pseudo-random keys: a hash of the private key, made once per key object. */
const rejectionKeys = new WeakMap<KeyObject, Buffer>();
function rejectionKey(privateKey: KeyObject): Buffer {
  let k = rejectionKeys.get(privateKey);
  if (!k) {
    k = createHash('sha256').update(privateKey.export({ type: 'pkcs8', format: 'der' })).digest();
    rejectionKeys.set(privateKey, k);
  }
  return k;
}

/**
 * PKCS#1 v1.5 decryption of a content-encryption key of `keyLength` bytes. Always returns
 * `keyLength` bytes: the real key when the padding is right, else a pseudo-random one.
 */
export function rsaPkcs1DecryptKey(privateKey: KeyObject, encrypted: Buffer, keyLength: number): Buffer {
  const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encrypted);
  const fake = createHmac('sha256', rejectionKey(privateKey)).update(encrypted).digest();
  const fallback = Buffer.alloc(keyLength);
  for (let i = 0; i < keyLength; i++) fallback[i] = fake[i % fake.length] ^ (i >> 5);
  // EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M; M must be exactly keyLength bytes.
  const sep = em.length - keyLength - 1;
  let good = em.length >= keyLength + 11 ? 1 : 0;
  good &= em[0] === 0 ? 1 : 0;
  good &= em[1] === 2 ? 1 : 0;
  for (let i = 2; i < Math.max(2, sep); i++) good &= em[i] !== 0 ? 1 : 0;
  good &= em[sep] === 0 ? 1 : 0;
  const key = em.subarray(em.length - keyLength);
  // Select without a branch on the secret: both are read, one is kept.
  const out = Buffer.alloc(keyLength);
  const mask = -good & 0xff;
  for (let i = 0; i < keyLength; i++) out[i] = (key[i] & mask) | (fallback[i] & ~mask & 0xff);
  return out;
}
