// OpenPGP/MIME (RFC 3156) with openpgp.js: multipart/signed with a detached signature over the
// canonical (CRLF) part, multipart/encrypted (signed and encrypted in one OpenPGP message,
// RFC 3156 6.2), and decrypting / verifying what GnuPG and mail clients send.
import * as openpgp from 'openpgp';
import { type Entity, type HeaderField, contentTypeOf, field, multipartParts, newBoundary, parseEntity, parsePart } from '../mime/entity.ts';
import { SealerError } from '../sealer-error.ts';
import { armorPieces, dearmorMessage } from './armor.ts';

export type PgpKind = 'encrypted' | 'signed' | null;

export function pgpKind(e: Entity): PgpKind {
  const ct = contentTypeOf(e);
  const protocol = (ct.params.protocol ?? '').toLowerCase();
  if (ct.type === 'multipart/encrypted' && protocol === 'application/pgp-encrypted') return 'encrypted';
  if (ct.type === 'multipart/signed' && protocol === 'application/pgp-signature') return 'signed';
  return null;
}

const headers = (lines: [string, string][]): HeaderField[] => lines.map(([n, v]) => field(n, v));

async function micalg(armoredSignature: string): Promise<string> {
  const sig = await openpgp.readSignature({ armoredSignature });
  const alg = sig.packets[0]?.hashAlgorithm;
  const name = alg === undefined ? 'sha256' : openpgp.enums.read(openpgp.enums.hash, alg as openpgp.enums.hash);
  return `pgp-${String(name).toLowerCase()}`;
}

/** multipart/signed with a detached OpenPGP signature over `inner` (7-bit safe, CRLF). */
export async function pgpSign(inner: Buffer, signingKey: openpgp.PrivateKey): Promise<Entity> {
  const signature = await openpgp.sign({ message: await openpgp.createMessage({ binary: inner }), signingKeys: signingKey, detached: true, format: 'armored' });
  const armored = signature.replace(/\r?\n/g, '\r\n');
  const boundary = newBoundary('pgp-signed');
  const body = Buffer.concat([
    Buffer.from(`This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n--${boundary}\r\n`, 'latin1'),
    inner,
    Buffer.from(
      `\r\n--${boundary}\r\n` +
        'Content-Type: application/pgp-signature; name="signature.asc"\r\n' +
        'Content-Description: OpenPGP digital signature\r\n' +
        'Content-Disposition: attachment; filename="signature.asc"\r\n\r\n' +
        armored +
        (armored.endsWith('\r\n') ? '' : '\r\n') +
        `\r\n--${boundary}--\r\n`,
      'latin1',
    ),
  ]);
  return {
    headers: headers([['Content-Type', `multipart/signed; micalg=${await micalg(signature)}; protocol="application/pgp-signature";\r\n boundary="${boundary}"`]]),
    body,
  };
}

/**
 * multipart/encrypted of `inner` to the recipients' keys (signed too when a signing key is
 * given), or to a passphrase (symmetric, AES-256 with an iterated and salted S2K).
 */
export async function pgpEncrypt(inner: Buffer, recipients: openpgp.Key[] | { passphrase: string }, signingKey: openpgp.PrivateKey | null): Promise<Entity> {
  const encrypted = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: inner }),
    ...(Array.isArray(recipients) ? { encryptionKeys: recipients } : { passwords: [recipients.passphrase] }),
    ...(signingKey ? { signingKeys: signingKey } : {}),
    format: 'binary',
  });
  const boundary = newBoundary('pgp-encrypted');
  // Bytes throughout (the armor ends with CRLF): no 1.4 MB string built and converted back.
  const body = Buffer.concat([
    Buffer.from(
      `This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n--${boundary}\r\n` +
        'Content-Type: application/pgp-encrypted\r\n' +
        'Content-Description: PGP/MIME version identification\r\n\r\n' +
        'Version: 1\r\n\r\n' +
        `--${boundary}\r\n` +
        'Content-Type: application/octet-stream; name="encrypted.asc"\r\n' +
        'Content-Description: OpenPGP encrypted message\r\n' +
        'Content-Disposition: inline; filename="encrypted.asc"\r\n\r\n',
      'latin1',
    ),
    ...armorPieces(encrypted),
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  return { headers: headers([['Content-Type', `multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary="${boundary}"`]]), body };
}

export interface PgpDecrypted {
  content: Buffer;
  /** Fingerprint of the key that opened it. */
  keyId: string;
  /** Signatures inside the encrypted message (RFC 3156 6.2), as openpgp.js reports them. */
  signatures: openpgp.DecryptMessageResult['signatures'];
}

/** The armored OpenPGP message of a multipart/encrypted entity (as parseEntity made it). */
function encryptedPayload(e: Entity): string {
  const b = contentTypeOf(e).params.boundary;
  const parts = b ? multipartParts(e.body, b) : [];
  if (parts.length !== 2) throw new SealerError('MESSAGE_FORMAT', 'multipart/encrypted needs exactly two parts');
  return parsePart(parts[1]).body.toString('latin1');
}

/** Decrypts with the keys `keysFor` gives for the message's recipient key ids (hex). */
export function pgpDecrypt(
  e: Entity,
  keysFor: (keyIds: string[]) => Promise<{ id: string; key: openpgp.PrivateKey }[]>,
  verificationKeys: openpgp.Key[],
): Promise<PgpDecrypted> {
  return pgpDecryptArmored(() => encryptedPayload(e), keysFor, verificationKeys);
}

/** Decrypts one armored OpenPGP message (PGP/MIME payload, or an inline block). */
export async function pgpDecryptArmored(
  armored: () => string,
  keysFor: (keyIds: string[]) => Promise<{ id: string; key: openpgp.PrivateKey }[]>,
  verificationKeys: openpgp.Key[],
): Promise<PgpDecrypted> {
  let message: openpgp.Message<Uint8Array>;
  try {
    message = (await openpgp.readMessage({ binaryMessage: dearmorMessage(armored()) })) as unknown as openpgp.Message<Uint8Array>;
  } catch (err) {
    if (err instanceof SealerError) throw err;
    throw new SealerError('MESSAGE_FORMAT', `unreadable OpenPGP message: ${(err as Error).message}`, { cause: err });
  }
  const candidates = await keysFor(message.getEncryptionKeyIDs().map((k) => k.toHex()));
  if (!candidates.length) throw new SealerError('NO_KEY', 'no OpenPGP key held by the gateway is a recipient of this message');
  for (const c of candidates) {
    try {
      const r = await openpgp.decrypt({ message, decryptionKeys: c.key, verificationKeys, format: 'binary', expectSigned: false });
      return { content: Buffer.from(r.data as Uint8Array), keyId: c.id, signatures: r.signatures };
    } catch (err) {
      if (c === candidates[candidates.length - 1]) throw new SealerError('DECRYPT_FAILED', `the OpenPGP message does not decrypt: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new SealerError('DECRYPT_FAILED', 'the OpenPGP message does not decrypt');
}

/** The signed part (byte-exact) and armored signature of an OpenPGP multipart/signed entity. */
export function pgpSignedParts(e: Entity): { signed: Buffer; signature: string } | null {
  const b = contentTypeOf(e).params.boundary;
  const parts = b ? multipartParts(e.body, b) : [];
  if (parts.length !== 2) return null;
  return { signed: parts[0], signature: parseEntity(parts[1]).body.toString('latin1') };
}

/** Key IDs (hex) that made a detached signature. */
export async function pgpSignerIds(armoredSignature: string): Promise<string[]> {
  const sig = await openpgp.readSignature({ armoredSignature });
  return sig.getSigningKeyIDs().map((k) => k.toHex());
}

export async function pgpVerifyDetached(signed: Buffer, armoredSignature: string, keys: openpgp.Key[]): Promise<{ ok: boolean; keyIds: string[]; reason: string | null }> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (err) {
    return { ok: false, keyIds: [], reason: `unreadable OpenPGP signature: ${(err as Error).message}` };
  }
  const keyIds = signature.getSigningKeyIDs().map((k) => k.toHex());
  const r = await openpgp.verify({ message: await openpgp.createMessage({ binary: signed }), signature, verificationKeys: keys, format: 'binary' });
  for (const s of r.signatures) {
    try {
      await s.verified;
      return { ok: true, keyIds, reason: null };
    } catch (err) {
      return { ok: false, keyIds, reason: (err as Error).message };
    }
  }
  return { ok: false, keyIds, reason: 'no signature' };
}
