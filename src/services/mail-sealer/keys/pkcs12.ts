// PKCS#12 (RFC 7292) bundles: reading the certificates and private key of one (what OpenSSL 3
// writes by default: PBES2/AES with PBKDF2, and the older SHA-1/3DES scheme), and writing one
// that OpenSSL, browsers and mail clients import (PBES2 AES-256-CBC, HMAC-SHA-256 integrity).
// RC2-encrypted bundles (OpenSSL 1.x defaults) are refused with a hint: Node has no RC2.
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { SealerError } from '../sealer-error.ts';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
};

const HASHES: Record<string, [name: string, blockSize: number]> = {
  '1.3.14.3.2.26': ['sha1', 64],
  '2.16.840.1.101.3.4.2.4': ['sha224', 64],
  '2.16.840.1.101.3.4.2.1': ['sha256', 64],
  '2.16.840.1.101.3.4.2.2': ['sha384', 128],
  '2.16.840.1.101.3.4.2.3': ['sha512', 128],
};
const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const PBE_CIPHERS: Record<string, [name: string, keyLength: number]> = {
  '2.16.840.1.101.3.4.1.2': ['aes-128-cbc', 16],
  '2.16.840.1.101.3.4.1.22': ['aes-192-cbc', 24],
  '2.16.840.1.101.3.4.1.42': ['aes-256-cbc', 32],
  '1.2.840.113549.3.7': ['des-ede3-cbc', 24],
};
/** PKCS#12 PBE schemes (RFC 7292 appendix C): [cipher, key bytes, iv bytes]. */
const PKCS12_PBE: Record<string, [name: string, keyLength: number, ivLength: number]> = {
  '1.2.840.113549.1.12.1.3': ['des-ede3-cbc', 24, 8],
  '1.2.840.113549.1.12.1.4': ['des-ede-cbc', 16, 8],
};
const RC2_PBE = new Set(['1.2.840.113549.1.12.1.5', '1.2.840.113549.1.12.1.6', '1.2.840.113549.1.5.11']);

export interface Pkcs12Contents {
  certificates: Buffer[];
  privateKey: KeyObject | null;
}

const bad = (what: string) => new SealerError('KEY_FORMAT', `not a PKCS#12 bundle we can read: ${what}`);

function parse(der: Buffer | ArrayBuffer | Uint8Array): asn1js.AsnType {
  const r = asn1js.fromBER(der instanceof ArrayBuffer ? der : new Uint8Array(der));
  if (r.offset === -1) throw bad(r.result.error || 'bad ASN.1');
  return r.result;
}

function children(b: asn1js.AsnType | undefined): asn1js.AsnType[] {
  return ((b as asn1js.Sequence | undefined)?.valueBlock as { value?: asn1js.AsnType[] } | undefined)?.value ?? [];
}

/** The bytes of an OCTET STRING, primitive or constructed (BER pieces). */
function octets(b: asn1js.AsnType | undefined): Buffer {
  if (!b) throw bad('missing OCTET STRING');
  if (b.idBlock.isConstructed) return Buffer.concat(children(b).map(octets));
  return Buffer.from((b as asn1js.OctetString).valueBlock.valueHexView);
}

function oid(b: asn1js.AsnType | undefined): string {
  if (!(b instanceof asn1js.ObjectIdentifier)) throw bad('expected an OBJECT IDENTIFIER');
  return b.valueBlock.toString();
}

function int(b: asn1js.AsnType | undefined, dflt?: number): number {
  if (b instanceof asn1js.Integer) return b.valueBlock.valueDec;
  if (dflt !== undefined) return dflt;
  throw bad('expected an INTEGER');
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1 key, 2 IV, 3 MAC key). */
export function pkcs12Kdf(hash: string, blockSize: number, password: string, salt: Buffer, iterations: number, id: number, length: number): Buffer {
  const v = blockSize;
  const pw = password === '' ? Buffer.alloc(0) : Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const fill = (src: Buffer) => {
    if (!src.length) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(pw)]);
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < length) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash(hash).update(A).digest();
    out.push(A);
    produced += A.length;
    if (produced >= length) break;
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = I[j + k] + B[k] + carry;
        I[j + k] = x & 0xff;
        carry = x >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

/** Decrypts password-based EncryptedContentInfo content (PBES2 or PKCS#12 PBE). */
function pbeDecrypt(alg: asn1js.AsnType, data: Buffer, password: string): Buffer {
  const [algOid, params] = children(alg);
  const id = oid(algOid);
  try {
    if (id === OID.pbes2) {
      const [kdf, scheme] = children(params);
      if (oid(children(kdf)[0]) !== OID.pbkdf2) throw bad('PBES2 with a key derivation other than PBKDF2');
      const kp = children(children(kdf)[1]);
      const salt = octets(kp[0]);
      const iterations = int(kp[1]);
      const prfAlg = kp.find((x) => x instanceof asn1js.Sequence);
      const prf = prfAlg ? PRFS[oid(children(prfAlg)[0])] : 'sha1';
      const [cipherOid, iv] = children(scheme);
      const cipher = PBE_CIPHERS[oid(cipherOid)];
      if (!prf || !cipher) throw bad('unsupported PBES2 cipher or PRF');
      const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher[1], prf);
      const d = createDecipheriv(cipher[0], key, octets(iv));
      return Buffer.concat([d.update(data), d.final()]);
    }
    const pbe = PKCS12_PBE[id];
    if (pbe) {
      const [salt, iterations] = children(params);
      const s = octets(salt);
      const n = int(iterations, 1);
      const key = pkcs12Kdf('sha1', 64, password, s, n, 1, pbe[1]);
      const iv = pkcs12Kdf('sha1', 64, password, s, n, 2, pbe[2]);
      const d = createDecipheriv(pbe[0], key, iv);
      return Buffer.concat([d.update(data), d.final()]);
    }
  } catch (err) {
    if (err instanceof SealerError) throw err;
    throw new SealerError('KEY_PASSWORD', 'the password does not open the PKCS#12 bundle', { cause: err });
  }
  if (RC2_PBE.has(id)) {
    throw new SealerError('UNSUPPORTED', 'the bundle is encrypted with RC2 (an old OpenSSL default); re-export it, e.g. `openssl pkcs12 -export` with OpenSSL 3, or with `-certpbe AES-256-CBC -keypbe AES-256-CBC`');
  }
  throw bad(`encryption ${id} is not supported`);
}

function checkMac(macData: asn1js.AsnType, content: Buffer, password: string): void {
  const [digestInfo, salt, iterations] = children(macData);
  const [alg, digest] = children(digestInfo);
  const h = HASHES[oid(children(alg)[0])];
  if (!h) throw bad('unsupported MAC algorithm');
  const key = pkcs12Kdf(h[0], h[1], password, octets(salt), int(iterations, 1), 3, createHash(h[0]).digest().length);
  const mac = createHmac(h[0], key).update(content).digest();
  const expected = octets(digest);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    throw new SealerError('KEY_PASSWORD', 'the password does not open the PKCS#12 bundle (integrity check failed)');
  }
}

/** Is `der` shaped like a PFX (SEQUENCE { INTEGER 3, ContentInfo ... })? */
export function looksLikePkcs12(der: Buffer): boolean {
  try {
    const top = children(parse(der));
    return int(top[0]) === 3 && top[1] instanceof asn1js.Sequence && oid(children(top[1])[0]).startsWith('1.2.840.113549.1.7.');
  } catch {
    return false;
  }
}

export function readPkcs12(der: Buffer, password: string): Pkcs12Contents {
  const [version, authSafe, macData] = children(parse(der));
  if (int(version) !== 3) throw bad('version is not 3');
  const [type, wrapped] = children(authSafe);
  if (oid(type) !== OID.data) throw bad('public-key integrity mode is not supported');
  const content = octets(children(wrapped)[0]);
  if (macData) checkMac(macData, content, password);
  const out: Pkcs12Contents = { certificates: [], privateKey: null };
  for (const ci of children(parse(content))) {
    const [ctype, cwrapped] = children(ci);
    let safe: Buffer;
    if (oid(ctype) === OID.data) safe = octets(children(cwrapped)[0]);
    else if (oid(ctype) === OID.encryptedData) {
      const eci = children(children(cwrapped)[0])[1];
      const [, alg, enc] = children(eci);
      safe = pbeDecrypt(alg, octets(enc), password);
    } else throw bad(`content type ${oid(ctype)} is not supported`);
    for (const bag of children(parse(safe))) readBag(bag, password, out);
  }
  return out;
}

function readBag(bag: asn1js.AsnType, password: string, out: Pkcs12Contents): void {
  const [id, value] = children(bag);
  const inner = children(value)[0];
  switch (oid(id)) {
    case OID.certBag: {
      const [certType, certValue] = children(inner);
      if (oid(certType) === OID.x509Certificate) out.certificates.push(octets(children(certValue)[0]));
      return;
    }
    case OID.keyBag:
      out.privateKey = createPrivateKey({ key: Buffer.from(inner.toBER(false)), format: 'der', type: 'pkcs8' });
      return;
    case OID.shroudedKeyBag:
      try {
        out.privateKey = createPrivateKey({ key: Buffer.from(inner.toBER(false)), format: 'der', type: 'pkcs8', passphrase: password });
      } catch (err) {
        throw new SealerError('KEY_PASSWORD', 'the password does not open the private key in the PKCS#12 bundle', { cause: err });
      }
      return;
    default:
      return; // CRL and secret bags carry nothing the sealer uses
  }
}

// --- writing ---------------------------------------------------------------------------------

const seq = (...value: asn1js.AsnType[]) => new asn1js.Sequence({ value });
const objId = (value: string) => new asn1js.ObjectIdentifier({ value });
const octet = (b: Buffer) => new asn1js.OctetString({ valueHex: b });
const explicit0 = (v: asn1js.AsnType) => new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [v] });
const ITERATIONS = 2048;

function pbes2Encrypt(data: Buffer, password: string): { alg: asn1js.Sequence; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([c.update(data), c.final()]);
  const alg = seq(
    objId(OID.pbes2),
    seq(
      seq(objId(OID.pbkdf2), seq(octet(salt), new asn1js.Integer({ value: ITERATIONS }), seq(objId(OID.hmacWithSha256), new asn1js.Null()))),
      seq(objId(OID.aes256Cbc), octet(iv)),
    ),
  );
  return { alg, encrypted };
}

function bagAttributes(localKeyId: Buffer, friendlyName: string): asn1js.Set {
  return new asn1js.Set({
    value: [
      seq(objId(OID.friendlyName), new asn1js.Set({ value: [new asn1js.BmpString({ value: friendlyName })] })),
      seq(objId(OID.localKeyId), new asn1js.Set({ value: [octet(localKeyId)] })),
    ],
  });
}

/** A PKCS#12 bundle of a certificate, its chain and (optionally) its private key. */
export function writePkcs12(o: { certificate: Buffer; chain: Buffer[]; privateKey: KeyObject | null; password: string; friendlyName: string }): Buffer {
  const localKeyId = createHash('sha1').update(o.certificate).digest();
  const certBag = (der: Buffer, attrs: boolean) => {
    const parts: asn1js.AsnType[] = [objId(OID.certBag), explicit0(seq(objId(OID.x509Certificate), explicit0(octet(der))))];
    if (attrs) parts.push(bagAttributes(localKeyId, o.friendlyName));
    return seq(...parts);
  };
  const certSafe = Buffer.from(seq(certBag(o.certificate, true), ...o.chain.map((c) => certBag(c, false))).toBER(false));
  const { alg, encrypted } = pbes2Encrypt(certSafe, o.password);
  const encryptedCerts = seq(
    objId(OID.encryptedData),
    explicit0(seq(new asn1js.Integer({ value: 0 }), seq(objId(OID.data), alg, new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: encrypted })))),
  );
  const safes: asn1js.AsnType[] = [encryptedCerts];
  if (o.privateKey) {
    const shrouded = o.privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: o.password });
    const keyBag = seq(objId(OID.shroudedKeyBag), explicit0(parse(shrouded)), bagAttributes(localKeyId, o.friendlyName));
    safes.push(seq(objId(OID.data), explicit0(octet(Buffer.from(seq(keyBag).toBER(false))))));
  }
  const authSafe = Buffer.from(seq(...safes).toBER(false));
  const salt = randomBytes(16);
  const macKey = pkcs12Kdf('sha256', 64, o.password, salt, ITERATIONS, 3, 32);
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  const pfx = seq(
    new asn1js.Integer({ value: 3 }),
    seq(objId(OID.data), explicit0(octet(authSafe))),
    seq(seq(seq(objId(OID.sha256), new asn1js.Null()), octet(mac)), octet(salt), new asn1js.Integer({ value: ITERATIONS })),
  );
  return Buffer.from(pfx.toBER(false));
}
