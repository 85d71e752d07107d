// S/MIME (RFC 8551) entities: multipart/signed with an application/pkcs7-signature part,
// application/pkcs7-mime enveloped-data (authEnveloped-data for AES-GCM), and reading them back:
// which kind an entity is, its signed part and signature, its CMS bytes.
import { type Entity, type HeaderField, base64Lines, base64Wrapped, contentTypeOf, field, multipartParts, newBoundary, parseEntity } from '../mime/entity.ts';
import { checkSignedData, createSignedData, type CmsSigner } from './cms-signed.ts';
import { createEnvelopedData, type EnvelopeOptions } from './cms-enveloped.ts';

export type SmimeKind = 'enveloped' | 'signed-multipart' | 'signed-opaque' | null;

const PKCS7_MIME = new Set(['application/pkcs7-mime', 'application/x-pkcs7-mime']);
const PKCS7_SIG = new Set(['application/pkcs7-signature', 'application/x-pkcs7-signature']);

export function smimeKind(e: Entity): SmimeKind {
  const ct = contentTypeOf(e);
  if (PKCS7_MIME.has(ct.type)) {
    const t = (ct.params['smime-type'] ?? '').toLowerCase();
    if (t === 'signed-data') return 'signed-opaque';
    if (t === 'enveloped-data' || t === 'authenveloped-data') return 'enveloped';
    // Old clients leave smime-type out; the file name tells (.p7m is enveloped more often than not).
    return t === '' ? 'enveloped' : null;
  }
  if (ct.type === 'multipart/signed' && PKCS7_SIG.has((ct.params.protocol ?? '').toLowerCase())) return 'signed-multipart';
  return null;
}

/** The CMS bytes of an application/pkcs7-mime entity (base64 as a rule; binary tolerated). */
export function cmsOf(e: Entity): Buffer {
  const text = e.body.toString('latin1');
  // Node's base64 decoder skips line breaks and blanks itself.
  if (/^[A-Za-z0-9+/=\s]*$/.test(text)) return Buffer.from(text, 'base64');
  return e.body;
}

/** The signed part (byte-exact) and the signature of a multipart/signed entity. */
export function signedParts(e: Entity): { signed: Buffer; signature: Entity } | null {
  const b = contentTypeOf(e).params.boundary;
  if (!b) return null;
  const parts = multipartParts(e.body, b);
  if (parts.length !== 2) return null;
  return { signed: parts[0], signature: parseEntity(parts[1]) };
}

/** What an S/MIME signature covers (the signed entity's bytes): the first part, or the opaque content. */
export function smimeSignedContent(e: Entity): Buffer | null {
  const kind = smimeKind(e);
  if (kind === 'signed-multipart') return signedParts(e)?.signed ?? null;
  if (kind === 'signed-opaque') return checkSignedData(cmsOf(e), null).content;
  return null;
}

const headers = (lines: [string, string][]): HeaderField[] => lines.map(([n, v]) => field(n, v));

/** multipart/signed around `inner` (already 7-bit safe and CRLF). */
export function smimeSign(inner: Buffer, signer: CmsSigner): Entity {
  const sig = createSignedData(inner, signer);
  const boundary = newBoundary('signed');
  const body = Buffer.concat([
    Buffer.from(`This is a cryptographically signed message in MIME format.\r\n\r\n--${boundary}\r\n`, 'latin1'),
    inner,
    Buffer.from(
      `\r\n--${boundary}\r\n` +
        'Content-Type: application/pkcs7-signature; name="smime.p7s"\r\n' +
        'Content-Transfer-Encoding: base64\r\n' +
        'Content-Disposition: attachment; filename="smime.p7s"\r\n' +
        'Content-Description: S/MIME Cryptographic Signature\r\n\r\n' +
        base64Lines(sig) +
        `\r\n--${boundary}--\r\n`,
      'latin1',
    ),
  ]);
  return { headers: headers([['Content-Type', `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;\r\n boundary="${boundary}"`]]), body };
}

/** application/pkcs7-mime enveloped-data of `inner` for the given recipient certificates. */
export function smimeEncrypt(inner: Buffer, recipients: Buffer[], opts: EnvelopeOptions): Entity {
  const cms = createEnvelopedData(inner, recipients, opts);
  const type = opts.cipher === 'aes-256-gcm' ? 'authEnveloped-data' : 'enveloped-data';
  return {
    headers: headers([
      ['Content-Type', `application/pkcs7-mime; smime-type=${type}; name="smime.p7m"`],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', 'attachment; filename="smime.p7m"'],
      ['Content-Description', 'S/MIME Encrypted Message'],
    ]),
    body: base64Wrapped(cms, 76),
  };
}
