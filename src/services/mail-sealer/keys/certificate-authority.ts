// The built-in CA: a self-signed RSA root made at the first start, and user S/MIME certificates
// it issues on demand (RSA 2048, subjectAltName rfc822Name, extended key usage emailProtection,
// key usage digitalSignature + keyEncipherment), as RFC 8550 asks of S/MIME certificates.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytes } from './x509.ts';

export interface IssuedCertificate {
  der: Buffer;
  privateKey: KeyObject;
}

const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  email: '1.2.840.113549.1.9.1',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
};

/** Key usage bits (RFC 5280 4.2.1.3), bit 0 first. */
const KU = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

function keyUsage(bits: number[]): asn1js.BitString {
  let v = 0;
  for (const b of bits) v |= 0x80 >> b;
  const last = Math.max(...bits);
  return new asn1js.BitString({ valueHex: Uint8Array.from([v]).buffer, unusedBits: 7 - last });
}

/** One attribute per RDN (pkijs would put them all into one multi-valued RDN). */
function name(parts: [oid: string, value: string][]): pkijs.RelativeDistinguishedNames {
  const seq = new asn1js.Sequence({
    value: parts.map(
      ([type, value]) =>
        new asn1js.Set({
          value: [new pkijs.AttributeTypeAndValue({ type, value: type === OID.email ? new asn1js.IA5String({ value }) : new asn1js.Utf8String({ value }) }).toSchema()],
        }),
    ),
  });
  return pkijs.RelativeDistinguishedNames.fromBER(seq.toBER(false));
}

function ext(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

function keyId(spki: pkijs.PublicKeyInfo): Buffer {
  return createHash('sha1').update(spki.subjectPublicKey.valueBlock.valueHexView).digest();
}

interface BuildSpec {
  subject: pkijs.RelativeDistinguishedNames;
  issuer: pkijs.RelativeDistinguishedNames;
  publicKey: KeyObject;
  signer: KeyObject;
  authorityKeyId?: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: pkijs.Extension[];
}

function build(s: BuildSpec): Buffer {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  // Positive, 16 random bytes (RFC 5280: at most 20 octets, unpredictable).
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial.buffer.slice(serial.byteOffset, serial.byteOffset + 16) });
  cert.subject = s.subject;
  cert.issuer = s.issuer;
  cert.notBefore.value = s.notBefore;
  cert.notAfter.value = s.notAfter;
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(bytes(s.publicKey.export({ type: 'spki', format: 'der' })));
  const ski = keyId(cert.subjectPublicKeyInfo);
  const exts = [...s.extensions, ext(OID.subjectKeyId, false, new asn1js.OctetString({ valueHex: ski }))];
  if (s.authorityKeyId) exts.push(ext(OID.authorityKeyId, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: s.authorityKeyId }) }).toSchema()));
  cert.extensions = exts;
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRsa, algorithmParams: new asn1js.Null() });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256WithRsa, algorithmParams: new asn1js.Null() });
  const tbs = Buffer.from(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: sign('sha256', tbs, s.signer) });
  return Buffer.from(cert.toSchema(true).toBER(false));
}

/** A new self-signed root for the gateway's own users. */
export function createRootCa(commonName: string, years = 20): IssuedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
  const dn = name([
    [OID.cn, commonName],
    [OID.o, 'Gatehouse'],
  ]);
  const now = Date.now();
  const der = build({
    subject: dn,
    issuer: dn,
    publicKey,
    signer: privateKey,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + years * 365 * 86_400_000),
    extensions: [
      ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      ext(OID.keyUsage, true, keyUsage([KU.keyCertSign, KU.cRLSign])),
    ],
  });
  return { der, privateKey };
}

/** A user S/MIME certificate for `address`, signed by the CA. */
export function issueUserCertificate(ca: { der: Buffer; privateKey: KeyObject }, address: string, days: number): IssuedCertificate {
  const caCert = pkijs.Certificate.fromBER(bytes(ca.der));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const der = build({
    subject: name([
      [OID.cn, address],
      [OID.email, address],
    ]),
    issuer: caCert.subject,
    publicKey,
    signer: ca.privateKey,
    authorityKeyId: keyId(caCert.subjectPublicKeyInfo),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * 86_400_000),
    extensions: [
      ext(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
      ext(OID.keyUsage, true, keyUsage([KU.digitalSignature, KU.keyEncipherment])),
      ext(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [OID.emailProtection] }).toSchema()),
      ext(OID.subjectAltName, false, new pkijs.AltName({ altNames: [new pkijs.GeneralName({ type: 1, value: address })] }).toSchema()),
    ],
  });
  return { der, privateKey };
}
