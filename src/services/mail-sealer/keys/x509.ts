// Reading X.509 certificates for the mail-sealer: PEM blocks, the facts a key record keeps
// (addresses from subjectAltName rfc822Name and the subject's emailAddress, validity, serial) and
// the issuer-and-serial / subject key identifier that CMS uses to name a certificate.
import { createHash, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { SealerError } from '../sealer-error.ts';

/** A copy on a plain ArrayBuffer: what pkijs and asn1js take as input. */
export function bytes(b: Buffer | Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every "-----BEGIN X-----" block of a text, in order. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    // Encrypted legacy PEM keys carry "Proc-Type:" headers before the base64.
    const body = m[2].includes(':') ? m[2].split(/\r?\n\r?\n/).slice(-1)[0] : m[2];
    out.push({ label: m[1], der: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

export function pemEncode(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export interface CertInfo {
  /** SHA-256 of the DER, hex. */
  id: string;
  der: Buffer;
  x509: X509Certificate;
  cert: pkijs.Certificate;
  subject: string;
  issuer: string;
  /** Serial number, hex, upper case (as openssl prints it). */
  serial: string;
  notBefore: number;
  notAfter: number;
  addresses: string[];
  isCa: boolean;
  /** Subject key identifier (extension, else SHA-1 of the public key), hex. */
  subjectKeyId: string;
}

const EMAIL_OID = '1.2.840.113549.1.9.1';
const SAN_OID = '2.5.29.17';
const SKI_OID = '2.5.29.14';

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** Parsed certificates by SHA-256 of the DER (what every signed mail from the same sender carries). */
const parsedCache = new Map<string, CertInfo>();
const PARSED_MAX = 1024;

/**
 * The facts of a certificate. The result is shared (kept by the SHA-256 of the DER, at most
 * PARSED_MAX, oldest out first) and must not be changed by callers.
 */
export function parseCertificate(der: Buffer): CertInfo {
  const id = createHash('sha256').update(der).digest('hex');
  const hit = parsedCache.get(id);
  if (hit) return hit;
  const info = parseUncached(der, id);
  if (parsedCache.size >= PARSED_MAX) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(id, info);
  return info;
}

function parseUncached(der: Buffer, id: string): CertInfo {
  let x509: X509Certificate;
  let cert: pkijs.Certificate;
  try {
    x509 = new X509Certificate(der);
    cert = pkijs.Certificate.fromBER(bytes(der));
  } catch (err) {
    throw new SealerError('KEY_FORMAT', `not an X.509 certificate: ${(err as Error).message}`, { cause: err });
  }
  const addresses = new Set<string>();
  for (const ext of cert.extensions ?? []) {
    if (ext.extnID !== SAN_OID) continue;
    const names = ext.parsedValue as pkijs.AltName | undefined;
    for (const n of names?.altNames ?? []) if (n.type === 1 && typeof n.value === 'string') addresses.add(n.value.toLowerCase());
  }
  for (const tv of cert.subject.typesAndValues) {
    if (tv.type === EMAIL_OID) addresses.add(String(tv.value.valueBlock.value).toLowerCase());
  }
  return {
    id,
    der: Buffer.from(der),
    x509,
    cert,
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    serial: x509.serialNumber.toUpperCase(),
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo),
    addresses: [...addresses].filter((a) => /^[^@\s]+@[^@\s]+$/.test(a)),
    isCa: x509.ca,
    subjectKeyId: subjectKeyId(cert),
  };
}

export function subjectKeyId(cert: pkijs.Certificate): string {
  const ext = cert.extensions?.find((e) => e.extnID === SKI_OID);
  if (ext) {
    const v = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
    if (v.result instanceof asn1js.OctetString) return Buffer.from(v.result.valueBlock.valueHexView).toString('hex');
  }
  return createHash('sha1').update(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest('hex');
}

/** Issuer name DER of a certificate, for matching an IssuerAndSerialNumber. */
export function issuerDer(cert: pkijs.Certificate): Buffer {
  return Buffer.from(cert.issuer.toSchema().toBER(false));
}

export function serialHex(cert: pkijs.Certificate): string {
  return Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString('hex').replace(/^(00)+(?=.)/, '');
}

/** Is the certificate usable at `now`? */
export function isCurrent(info: Pick<CertInfo, 'notBefore' | 'notAfter'>, now = Date.now()): boolean {
  return info.notBefore <= now && now <= info.notAfter;
}
