// OpenPGP keys for the sealer (openpgp.js): reading armored or binary keys, unlocking a protected
// secret key with its passphrase, and the facts a key record keeps (fingerprint, addresses from
// the user IDs, creation and expiry).
import * as openpgp from 'openpgp';
import { SealerError } from '../sealer-error.ts';

export interface PgpKeyInfo {
  /** Fingerprint, hex, lower case. */
  id: string;
  key: openpgp.Key;
  subject: string;
  addresses: string[];
  notBefore: number;
  notAfter: number | null;
  /** The unlocked secret key (armored), when the input held one. */
  privateArmored: string | null;
  publicArmored: string;
}

export function looksLikePgpArmor(text: string): boolean {
  return /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----/.test(text);
}

function addressesOf(key: openpgp.Key): string[] {
  const out = new Set<string>();
  for (const u of key.users) {
    const email = u.userID?.email;
    if (email && /^[^@\s]+@[^@\s]+$/.test(email)) out.add(email.toLowerCase());
  }
  return [...out];
}

async function info(key: openpgp.Key, passphrase: string | undefined): Promise<PgpKeyInfo> {
  let privateArmored: string | null = null;
  if (key.isPrivate()) {
    let priv = key as openpgp.PrivateKey;
    if (!priv.isDecrypted()) {
      if (passphrase === undefined) throw new SealerError('KEY_PASSWORD', `the OpenPGP secret key ${key.getFingerprint()} is protected; give its passphrase (--password)`);
      try {
        priv = await openpgp.decryptKey({ privateKey: priv, passphrase });
      } catch (err) {
        throw new SealerError('KEY_PASSWORD', `the passphrase does not unlock the OpenPGP secret key ${key.getFingerprint()}`, { cause: err });
      }
    }
    privateArmored = priv.armor();
  }
  const expires = await key.getExpirationTime().catch(() => null);
  return {
    id: key.getFingerprint().toLowerCase(),
    key,
    subject: key.getUserIDs()[0] ?? key.getFingerprint(),
    addresses: addressesOf(key),
    notBefore: key.getCreationTime().getTime(),
    notAfter: expires instanceof Date ? expires.getTime() : null,
    privateArmored,
    publicArmored: key.toPublic().armor(),
  };
}

/** Every key of an armored block or binary key ring. */
export async function readPgpKeys(data: Buffer, passphrase?: string): Promise<PgpKeyInfo[]> {
  const text = data.toString('utf8');
  let keys: openpgp.Key[];
  try {
    keys = looksLikePgpArmor(text) ? await openpgp.readKeys({ armoredKeys: text }) : await openpgp.readKeys({ binaryKeys: new Uint8Array(data) });
  } catch (err) {
    throw new SealerError('KEY_FORMAT', `not an OpenPGP key: ${(err as Error).message}`, { cause: err });
  }
  return Promise.all(keys.map((k) => info(k, passphrase)));
}

/** A new OpenPGP key for a local user: v4 Ed25519/Cv25519 (what GnuPG 2.2 reads); no passphrase, the vault protects it. */
export async function generatePgpKey(address: string): Promise<PgpKeyInfo> {
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ email: address }], format: 'object' });
  return info(privateKey, undefined);
}
