// Object identifiers of the CMS algorithms the sealer speaks, and how each maps onto node:crypto.
// Signing uses SHA-256 with RSA PKCS#1 v1.5 or ECDSA; verification also takes SHA-1/384/512,
// RSASSA-PSS and Ed25519, so signatures of older and newer clients can be checked.
import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes192Gcm: '2.16.840.1.101.3.4.1.26',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  desEde3Cbc: '1.2.840.113549.3.7',
} as const;

/** Digest OIDs → node hash names. */
export const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
export const SHA256 = '2.16.840.1.101.3.4.2.1';

/** Signature OIDs that name their hash → [hash, family]. */
export const SIGNATURES: Record<string, [hash: string | null, family: 'rsa' | 'ecdsa' | 'pss' | 'ed25519']> = {
  '1.2.840.113549.1.1.1': [null, 'rsa'],
  '1.2.840.113549.1.1.5': ['sha1', 'rsa'],
  '1.2.840.113549.1.1.14': ['sha224', 'rsa'],
  '1.2.840.113549.1.1.11': ['sha256', 'rsa'],
  '1.2.840.113549.1.1.12': ['sha384', 'rsa'],
  '1.2.840.113549.1.1.13': ['sha512', 'rsa'],
  '1.2.840.113549.1.1.10': [null, 'pss'],
  '1.2.840.10045.2.1': [null, 'ecdsa'],
  '1.2.840.10045.4.1': ['sha1', 'ecdsa'],
  '1.2.840.10045.4.3.2': ['sha256', 'ecdsa'],
  '1.2.840.10045.4.3.3': ['sha384', 'ecdsa'],
  '1.2.840.10045.4.3.4': ['sha512', 'ecdsa'],
  '1.3.101.112': [null, 'ed25519'],
};

/** Content ciphers: OID → [node cipher, key bytes, authenticated]. */
export const CIPHERS: Record<string, [name: string, keyLength: number, aead: boolean]> = {
  [OID.aes128Cbc]: ['aes-128-cbc', 16, false],
  [OID.aes192Cbc]: ['aes-192-cbc', 24, false],
  [OID.aes256Cbc]: ['aes-256-cbc', 32, false],
  [OID.aes128Gcm]: ['aes-128-gcm', 16, true],
  [OID.aes192Gcm]: ['aes-192-gcm', 24, true],
  [OID.aes256Gcm]: ['aes-256-gcm', 32, true],
  [OID.desEde3Cbc]: ['des-ede3-cbc', 24, false],
};

/** RFC 3370 / RFC 4055: an algorithm whose parameters are NULL or absent. */
export function algorithm(oid: string, params: asn1js.BaseBlock | null = new asn1js.Null()): { algorithmId: string; algorithmParams?: asn1js.BaseBlock } {
  return params ? { algorithmId: oid, algorithmParams: params } : { algorithmId: oid };
}

/** Hash named by RSASSA-PSS or RSAES-OAEP parameters ([0] hashAlgorithm; default SHA-1). */
export function hashOfParams(alg: pkijs.AlgorithmIdentifier): string {
  const params = alg.algorithmParams as asn1js.Sequence | undefined;
  const first = params?.valueBlock?.value?.find((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  const oid = (first?.valueBlock.value[0] as asn1js.Sequence | undefined)?.valueBlock.value[0];
  return oid instanceof asn1js.ObjectIdentifier ? (DIGESTS[oid.valueBlock.toString()] ?? 'unknown') : 'sha1';
}

/** PSS salt length ([2] saltLength; default 20). */
export function pssSaltLength(alg: pkijs.AlgorithmIdentifier): number {
  const params = alg.algorithmParams as asn1js.Sequence | undefined;
  const tagged = params?.valueBlock?.value?.find((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 2) as asn1js.Constructed | undefined;
  const n = tagged?.valueBlock.value[0];
  return n instanceof asn1js.Integer ? n.valueBlock.valueDec : 20;
}
