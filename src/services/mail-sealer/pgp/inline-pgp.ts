// Inline PGP (the pre-RFC 3156 way many clients and `gpg --armor` users still send): a single
// text/plain body holding an armored "BEGIN PGP MESSAGE" block (encrypted) or a cleartext-signed
// "BEGIN PGP SIGNED MESSAGE" block. Found after undoing the transfer encoding; decrypting
// replaces the block with its plaintext and keeps the text around it; a signed block is verified
// and left as it is. Bytes are kept as they are (latin1), text is UTF-8 for the signature check.
import * as openpgp from 'openpgp';
import { type Entity, contentTypeOf, field, headerValue, serialize } from '../mime/entity.ts';

export type InlineKind = 'encrypted' | 'signed';

export interface InlinePgp {
  kind: InlineKind;
  /** The decoded body, one char per byte. */
  text: string;
  /** Where the armored block starts and ends in `text`. */
  start: number;
  end: number;
  charset: string;
}

const BLOCKS: Record<InlineKind, [string, string]> = {
  encrypted: ['-----BEGIN PGP MESSAGE-----', '-----END PGP MESSAGE-----'],
  signed: ['-----BEGIN PGP SIGNED MESSAGE-----', '-----END PGP SIGNATURE-----'],
};

/** Bodies larger than this are not searched for inline blocks (their armor would be unusual). */
export const INLINE_PGP_MAX = 5 * 1024 * 1024;

function decodeQp(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The body with its Content-Transfer-Encoding undone, one char per byte. */
function decodedBody(e: Entity): string {
  const cte = (headerValue(e.headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  const latin1 = e.body.toString('latin1');
  if (cte === 'base64') return Buffer.from(latin1.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (cte === 'quoted-printable') return decodeQp(latin1);
  return latin1;
}

/** Could this (head-only) entity carry inline PGP? A single text/plain part, or no Content-Type. */
export function mayCarryInlinePgp(head: Entity): boolean {
  const t = contentTypeOf(head).type;
  return t === 'text/plain' || headerValue(head.headers, 'content-type') === undefined;
}

/** The first inline PGP block of a text/plain entity, if any. */
export function findInlinePgp(e: Entity): InlinePgp | null {
  if (!mayCarryInlinePgp(e) || e.body.length > INLINE_PGP_MAX) return null;
  const text = decodedBody(e);
  const charset = (contentTypeOf(e).params.charset ?? 'us-ascii').toLowerCase();
  for (const kind of ['encrypted', 'signed'] as InlineKind[]) {
    const [begin, end] = BLOCKS[kind];
    // The armor header line must start a line.
    const m = new RegExp(`(?:^|\\n)${begin}`).exec(text);
    if (!m) continue;
    const start = m.index + m[0].length - begin.length;
    const stop = text.indexOf(end, start);
    if (stop < 0) continue;
    return { kind, text, start, end: stop + end.length, charset };
  }
  return null;
}

const block = (p: InlinePgp) => p.text.slice(p.start, p.end);
const asUnicode = (p: InlinePgp, s: string) => (p.charset === 'utf-8' || p.charset === 'us-ascii' || p.charset === 'utf8' ? Buffer.from(s, 'latin1').toString('utf8') : s);

/** The armored encrypted block, for pgpDecryptArmored. */
export const inlineArmored = (p: InlinePgp) => block(p);

/**
 * The entity (Content-* fields and body) after decryption: the block replaced by `plain`, the
 * text around it kept, in base64 when it is not 7-bit, so any bytes survive transport.
 */
export function inlineDecryptedEntity(p: InlinePgp, plain: Buffer, original: Entity): Buffer {
  const text = p.text.slice(0, p.start) + plain.toString('latin1') + p.text.slice(p.end);
  const bytes = Buffer.from(text, 'latin1');
  const sevenBit = !/[^\x00-\x7f]/.test(text);
  const type = headerValue(original.headers, 'content-type') ?? 'text/plain; charset=us-ascii';
  const body = sevenBit ? bytes : Buffer.from((bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n', 'latin1');
  return serialize({ headers: [field('Content-Type', type), field('Content-Transfer-Encoding', sevenBit ? '7bit' : 'base64')], body });
}

/** The key ids (hex) that made a cleartext signature; throws on an unreadable block. */
export async function inlineSignerIds(p: InlinePgp): Promise<string[]> {
  const m = await openpgp.readCleartextMessage({ cleartextMessage: asUnicode(p, block(p)) });
  return m.getSigningKeyIDs().map((k) => k.toHex());
}

export async function verifyInlineSigned(p: InlinePgp, keys: openpgp.Key[]): Promise<{ ok: boolean; reason: string | null }> {
  let message: openpgp.CleartextMessage;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: asUnicode(p, block(p)) });
  } catch (err) {
    return { ok: false, reason: `unreadable OpenPGP signed message: ${(err as Error).message}` };
  }
  const r = await openpgp.verify({ message, verificationKeys: keys });
  for (const s of r.signatures) {
    try {
      await s.verified;
      return { ok: true, reason: null };
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }
  return { ok: false, reason: 'no signature' };
}
