// CMS SignedData (RFC 5652) for S/MIME: making a detached signature over a MIME entity, and
// checking the signatures of one (detached or with the content inside). The signed attributes
// are sorted as DER asks, because OpenSSL and others re-encode them before they verify.
import { createHash, sign, verify, constants, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealerError } from '../sealer-error.ts';
import { bytes, parseCertificate, subjectKeyId, type CertInfo } from '../keys/x509.ts';
import { DIGESTS, OID, SHA256, SIGNATURES, hashOfParams, pssSaltLength } from './algorithms.ts';
import { certFacts } from './cert-facts.ts';
import * as der from './der.ts';

const SMIME_CAPABILITIES = der.seq(...[OID.aes256Gcm, OID.aes256Cbc, OID.aes128Gcm, OID.aes128Cbc].map((o) => der.seq(der.oid(o))));

export interface CmsSigner {
  certificate: Buffer;
  /** Further certificates to include (the issuing CA), so the receiver can build the chain. */
  chain: Buffer[];
  privateKey: KeyObject;
}

/** A detached SignedData over `content` (the canonical MIME entity), DER, written directly (no pkijs tree). */
export function createSignedData(content: Buffer, signer: CmsSigner, now = new Date()): Buffer {
  const keyType = signer.privateKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') throw new SealerError('KEY_UNUSABLE', `cannot sign with a ${keyType} key`);
  const attr = (type: string, value: Buffer) => der.seq(der.oid(type), der.set(value));
  // DER SET OF: sorted by encoding, in the SignerInfo ([0] IMPLICIT) and in what is signed (SET).
  const attrs = [
    attr(OID.contentType, der.oid(OID.data)),
    attr(OID.signingTime, der.time(now)),
    attr(OID.messageDigest, der.octets(createHash('sha256').update(content).digest())),
    attr(OID.smimeCapabilities, SMIME_CAPABILITIES),
  ].sort(Buffer.compare);
  const signature = sign('sha256', der.set(...attrs), signer.privateKey);
  const sha256 = der.algId(SHA256, null);
  const signerInfo = der.seq(
    der.int(1),
    certFacts(signer.certificate).issuerAndSerial,
    sha256,
    der.ctx(0, ...attrs),
    keyType === 'rsa' ? der.algId(OID.rsaEncryption) : der.algId('1.2.840.10045.4.3.2', null),
    der.octets(signature),
  );
  const signed = der.seq(der.int(1), der.set(sha256), der.seq(der.oid(OID.data)), der.ctx(0, signer.certificate, ...signer.chain), der.set(signerInfo));
  return der.seq(der.oid(OID.signedData), der.ctx(0, signed));
}

export interface SignatureCheck {
  /** The signature matches the content (digest and signature value); says nothing about trust yet. */
  intact: boolean;
  reason: string | null;
  /** The signer's certificate, when the SignedData carries it. */
  signer: CertInfo | null;
  /** Every certificate the SignedData carries (signer and chain). */
  certificates: CertInfo[];
  signingTime: number | null;
  /** The encapsulated content (opaque signed-data); null when detached. */
  content: Buffer | null;
}

function parseSignedData(der: Buffer): pkijs.SignedData {
  try {
    const info = pkijs.ContentInfo.fromBER(bytes(der));
    if (info.contentType !== OID.signedData) throw new Error(`content type ${info.contentType} is not signed-data`);
    return new pkijs.SignedData({ schema: info.content });
  } catch (err) {
    throw new SealerError('MESSAGE_FORMAT', `unreadable CMS signed-data: ${(err as Error).message}`, { cause: err });
  }
}

function encapsulated(sd: pkijs.SignedData): Buffer | null {
  const e = sd.encapContentInfo.eContent;
  if (!e) return null;
  // A constructed OCTET STRING (BER, e.g. from streaming signers) is the concatenation of its pieces.
  if (e.idBlock.isConstructed) return Buffer.concat((e.valueBlock.value as asn1js.OctetString[]).map((p) => Buffer.from(p.valueBlock.valueHexView)));
  return Buffer.from(e.valueBlock.valueHexView);
}

function findSigner(si: pkijs.SignerInfo, certs: { info: CertInfo; cert: pkijs.Certificate }[]): CertInfo | null {
  const sid = si.sid as pkijs.IssuerAndSerialNumber | asn1js.Primitive;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const hit = certs.find((c) => c.cert.issuer.isEqual(sid.issuer) && c.cert.serialNumber.isEqual(sid.serialNumber));
    return hit?.info ?? null;
  }
  const ski = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView).toString('hex');
  return certs.find((c) => subjectKeyId(c.cert) === ski)?.info ?? null;
}

function verifyValue(si: pkijs.SignerInfo, data: Buffer, digestName: string, key: KeyObject): boolean {
  const [hash, family] = SIGNATURES[si.signatureAlgorithm.algorithmId] ?? [null, null];
  const sig = Buffer.from(si.signature.valueBlock.valueHexView);
  switch (family) {
    case 'rsa':
    case 'ecdsa':
      return verify(hash ?? digestName, data, key, sig);
    case 'pss':
      return verify(hashOfParams(si.signatureAlgorithm), data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSaltLength(si.signatureAlgorithm) }, sig);
    case 'ed25519':
      return verify(null, data, key, sig);
    default:
      throw new SealerError('UNSUPPORTED', `signature algorithm ${si.signatureAlgorithm.algorithmId} is not supported`);
  }
}

/** Checks the first signer of a SignedData over `detached` content (or its own content). */
export function checkSignedData(der: Buffer, detached: Buffer | null): SignatureCheck {
  const sd = parseSignedData(der);
  const certs: { info: CertInfo; cert: pkijs.Certificate }[] = [];
  for (const c of sd.certificates ?? []) {
    if (!(c instanceof pkijs.Certificate)) continue;
    try {
      const info = parseCertificate(Buffer.from(c.toSchema().toBER(false)));
      certs.push({ info, cert: info.cert });
    } catch {
      // A certificate we cannot read cannot be the signer's; the others still count.
    }
  }
  const content = encapsulated(sd);
  const data = detached ?? content;
  const result: SignatureCheck = { intact: false, reason: null, signer: null, certificates: certs.map((c) => c.info), signingTime: null, content };
  const si = sd.signerInfos[0];
  if (!si) return { ...result, reason: 'no signer' };
  if (!data) return { ...result, reason: 'no content to check the signature against' };
  const signer = findSigner(si, certs);
  result.signer = signer;
  if (!signer) return { ...result, reason: "the signer's certificate is not in the message" };
  const digestName = DIGESTS[si.digestAlgorithm.algorithmId];
  if (!digestName) return { ...result, reason: `digest algorithm ${si.digestAlgorithm.algorithmId} is not supported` };
  const digest = createHash(digestName).update(data).digest();
  let signedBytes: Buffer = data;
  if (si.signedAttrs) {
    const md = si.signedAttrs.attributes.find((a) => a.type === OID.messageDigest)?.values[0] as asn1js.OctetString | undefined;
    if (!md || !Buffer.from(md.valueBlock.valueHexView).equals(digest)) return { ...result, reason: 'the content does not match the signed digest (changed after signing)' };
    const st = si.signedAttrs.attributes.find((a) => a.type === OID.signingTime)?.values[0] as asn1js.UTCTime | asn1js.GeneralizedTime | undefined;
    if (st) result.signingTime = st.toDate().getTime();
    signedBytes = Buffer.from(si.signedAttrs.encodedValue);
  }
  let ok: boolean;
  try {
    ok = verifyValue(si, signedBytes, digestName, signer.x509.publicKey);
  } catch (err) {
    if (err instanceof SealerError) return { ...result, reason: err.message };
    ok = false;
  }
  return ok ? { ...result, intact: true } : { ...result, reason: 'the signature value does not verify' };
}
