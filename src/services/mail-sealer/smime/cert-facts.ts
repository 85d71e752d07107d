// What the CMS writers need of a certificate (its IssuerAndSerialNumber DER and public key),
// worked out once per certificate and kept in a bounded cache keyed by the certificate's SHA-256,
// so sealing a mail does not parse the signer's and the recipients' certificates again.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { SealerError } from '../sealer-error.ts';
import { certKey, issuerAndSerial } from './der.ts';

export interface CertFacts {
  /** DER of IssuerAndSerialNumber. */
  issuerAndSerial: Buffer;
  publicKey: KeyObject;
  /** 'rsa' (rsaEncryption), 'ec' (id-ecPublicKey), or another node key type. */
  keyType: string;
}

/** Most certificates a gateway seals with at one time; beyond it the oldest entry goes. */
const MAX_ENTRIES = 1024;
const cache = new Map<string, CertFacts>();

export function certFacts(der: Buffer): CertFacts {
  const key = certKey(der);
  const hit = cache.get(key);
  if (hit) return hit;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch (err) {
    throw new SealerError('KEY_FORMAT', `not an X.509 certificate: ${(err as Error).message}`, { cause: err });
  }
  const facts: CertFacts = { issuerAndSerial: issuerAndSerial(der), publicKey: x509.publicKey, keyType: x509.publicKey.asymmetricKeyType ?? 'unknown' };
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, facts);
  return facts;
}
