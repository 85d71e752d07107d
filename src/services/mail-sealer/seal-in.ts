// Stage seal-in: decrypts incoming S/MIME and OpenPGP/MIME mail for which the gateway holds a
// key, checks signatures and marks the result in X-Gatehouse-Signature (and the Subject, if the
// policy says so), harvests certificates and keys. Headers of those names that came with the mail
// are removed, so a sender cannot forge a verdict. Mail that is neither encrypted nor signed is
// only read as far as its header. A corrupt or undecryptable mail is delivered as it came with a
// header saying why, or held, as the policy says; it is never dropped.
import type { StageResult } from '../../core/mail.ts';
import type { Stage, StageContext } from '../../flow/stage.ts';
import type { ClaimedMail } from '../../store/store.ts';
import type { SealerConfig } from './config.ts';
import type { Keyring } from './keys/keyring.ts';
import { addressIn, contentTypeOf, field, headerValue, multipartParts, parseEntity, parseHeaders, serialize, unwrap, without, type Entity, type HeaderField } from './mime/entity.ts';
import { pgpDecrypt, pgpDecryptArmored, pgpKind, pgpSignedParts, pgpSignerIds, pgpVerifyDetached } from './pgp/pgp-mime.ts';
import { findInlinePgp, INLINE_PGP_MAX, inlineArmored, inlineDecryptedEntity, inlineSignerIds, mayCarryInlinePgp, verifyInlineSigned, type InlinePgp } from './pgp/inline-pgp.ts';
import type { SealerPolicies } from './policy.ts';
import { SealerError } from './sealer-error.ts';
import { checkSignedData } from './smime/cms-signed.ts';
import { openEnvelopedData } from './smime/cms-enveloped.ts';
import { cmsOf, signedParts, smimeKind, smimeSignedContent } from './smime/smime-mime.ts';
import { protectedHeadersOf, restoreProtectedHeaders } from './mime/protected-headers.ts';
import { writeBody } from './write-body.ts';
import { readHead } from './mime/read-head.ts';
import type * as openpgp from 'openpgp';

export const SIGNATURE_HEADER = 'X-Gatehouse-Signature';
export const DECRYPTION_HEADER = 'X-Gatehouse-Decryption';
const OWN_HEADERS = [SIGNATURE_HEADER, DECRYPTION_HEADER];

export interface SealInDeps {
  keyring: () => Keyring;
  policies: () => SealerPolicies;
  config: () => SealerConfig;
}

export interface SignatureVerdict {
  status: 'valid' | 'invalid' | 'unknown';
  method: 'smime' | 'pgp';
  signer: string | null;
  reason: string | null;
}

const RANK: Record<SignatureVerdict['status'], number> = { valid: 0, unknown: 1, invalid: 2 };

/** Two nested signatures (triple wrap) count as the worse of the two, naming the inner signer. */
function combine(outer: SignatureVerdict, inner: SignatureVerdict): SignatureVerdict {
  const worse = RANK[inner.status] >= RANK[outer.status] ? inner : outer;
  const which = worse === inner ? 'inner' : 'outer';
  return { ...worse, signer: inner.signer ?? outer.signer, reason: worse.reason ? `${which} signature: ${worse.reason}` : null };
}

const quote = (s: string) => `"${s.replace(/[\r\n]+/g, ' ').replace(/["\\]/g, "'").slice(0, 300)}"`;

function signatureHeader(v: SignatureVerdict): HeaderField {
  const parts = [v.status, `method=${v.method}`];
  if (v.signer) parts.push(`signer=${v.signer.replace(/[\s;"]/g, '')}`);
  if (v.reason) parts.push(`reason=${quote(v.reason)}`);
  return field(SIGNATURE_HEADER, parts.join('; '));
}

const SUBJECT_TAGS: Record<SignatureVerdict['status'], string> = { valid: '[Signed]', invalid: '[Signature INVALID]', unknown: '[Signature unverified]' };

function tagSubject(headers: HeaderField[], tag: string): HeaderField[] {
  const i = headers.findIndex((h) => h.name.toLowerCase() === 'subject');
  if (i < 0) return [...headers, field('Subject', tag)];
  if (headers[i].value.startsWith(tag)) return headers;
  const out = [...headers];
  out[i] = field(headers[i].name, `${tag} ${headers[i].value}`);
  return out;
}

export function createSealInStage(deps: SealInDeps): Stage {
  // Read per call: the service opens the keyring when it starts, after the stage is made.
  const kr = () => deps.keyring();

  async function verifySmime(e: Entity, from: string | null, harvest: boolean): Promise<SignatureVerdict> {
    const kind = smimeKind(e);
    let check;
    if (kind === 'signed-multipart') {
      const parts = signedParts(e);
      if (!parts) return { status: 'invalid', method: 'smime', signer: null, reason: 'malformed multipart/signed' };
      check = checkSignedData(cmsOf(parts.signature), parts.signed);
    } else check = checkSignedData(cmsOf(e), null);
    const signer = check.signer ? (check.signer.addresses[0] ?? check.signer.subject) : null;
    if (!check.intact) return { status: check.signer ? 'invalid' : 'unknown', method: 'smime', signer, reason: check.reason };
    const trust = await kr().trustOf(check.signer!, check.certificates);
    if (harvest && from && check.signer!.addresses.includes(from)) await kr().harvestCertificate(check.signer!, trust.trusted);
    if (from && !check.signer!.addresses.includes(from)) return { status: 'unknown', method: 'smime', signer, reason: `the signer's certificate is not for the sender ${from}` };
    if (trust.revoked) return { status: 'invalid', method: 'smime', signer, reason: trust.reason };
    return trust.trusted ? { status: 'valid', method: 'smime', signer, reason: null } : { status: 'unknown', method: 'smime', signer, reason: trust.reason };
  }

  /** The held key whose (sub)key made a signature, by key id. */
  async function pgpKeyFor(keyIds: string[]): Promise<{ key: openpgp.Key; address: string | null } | null> {
    for (const { rec, key } of await kr().pgpVerificationKeys()) {
      if (key.getKeys().some((k) => keyIds.includes(k.getKeyID().toHex()))) return { key, address: rec.addresses[0] ?? null };
    }
    return null;
  }

  async function verifyPgp(e: Entity, from: string | null): Promise<SignatureVerdict> {
    const parts = pgpSignedParts(e);
    if (!parts) return { status: 'invalid', method: 'pgp', signer: null, reason: 'malformed multipart/signed' };
    let ids: string[];
    try {
      ids = await pgpSignerIds(parts.signature);
    } catch (err) {
      return { status: 'invalid', method: 'pgp', signer: null, reason: `unreadable OpenPGP signature: ${(err as Error).message}` };
    }
    const held = await pgpKeyFor(ids);
    if (!held) return { status: 'unknown', method: 'pgp', signer: null, reason: `the signer's key (${ids.join(', ')}) is not known` };
    const r = await pgpVerifyDetached(parts.signed, parts.signature, [held.key]);
    if (!r.ok) return { status: 'invalid', method: 'pgp', signer: held.address, reason: r.reason };
    if (from && held.address !== from && !held.key.users.some((u) => u.userID?.email?.toLowerCase() === from)) {
      return { status: 'unknown', method: 'pgp', signer: held.address, reason: `the signer's key is not for the sender ${from}` };
    }
    return { status: 'valid', method: 'pgp', signer: held.address, reason: null };
  }

  /** A cleartext-signed inline block ("BEGIN PGP SIGNED MESSAGE"). */
  async function verifyInline(p: InlinePgp, from: string | null): Promise<SignatureVerdict> {
    let ids: string[];
    try {
      ids = await inlineSignerIds(p);
    } catch (err) {
      return { status: 'invalid', method: 'pgp', signer: null, reason: `unreadable inline OpenPGP signature: ${(err as Error).message}` };
    }
    const held = await pgpKeyFor(ids);
    if (!held) return { status: 'unknown', method: 'pgp', signer: null, reason: `the signer's key (${ids.join(', ')}) is not known` };
    const r = await verifyInlineSigned(p, [held.key]);
    if (!r.ok) return { status: 'invalid', method: 'pgp', signer: held.address, reason: r.reason };
    if (from && held.address !== from && !held.key.users.some((u) => u.userID?.email?.toLowerCase() === from)) {
      return { status: 'unknown', method: 'pgp', signer: held.address, reason: `the signer's key is not for the sender ${from}` };
    }
    return { status: 'valid', method: 'pgp', signer: held.address, reason: null };
  }

  async function verifyInner(sigs: openpgp.DecryptMessageResult['signatures'], from: string | null): Promise<SignatureVerdict | null> {
    const s = sigs[0];
    if (!s) return null;
    const held = await pgpKeyFor([s.keyID.toHex()]);
    if (!held) return { status: 'unknown', method: 'pgp', signer: null, reason: `the signer's key (${s.keyID.toHex()}) is not known` };
    try {
      await s.verified;
    } catch (err) {
      return { status: 'invalid', method: 'pgp', signer: held.address, reason: (err as Error).message };
    }
    if (from && held.address !== from) return { status: 'unknown', method: 'pgp', signer: held.address, reason: `the signer's key is not for the sender ${from}` };
    return { status: 'valid', method: 'pgp', signer: held.address, reason: null };
  }

  async function harvestPgp(msg: Entity, raw: Buffer | null, from: string | null): Promise<number> {
    if (!from) return 0;
    let n = 0;
    // Autocrypt (Level 1): addr=...; [prefer-encrypt=...;] keydata=<base64 of a binary key>
    for (const h of msg.headers.filter((x) => x.name.toLowerCase() === 'autocrypt')) {
      const addr = /(?:^|;)\s*addr=([^;\s]+)/i.exec(h.value)?.[1]?.toLowerCase();
      const keydata = /(?:^|;)\s*keydata=([A-Za-z0-9+/=\s]+)/i.exec(h.value)?.[1];
      if (addr === from && keydata) n += await kr().harvestPgp(Buffer.from(keydata.replace(/\s+/g, ''), 'base64'), from);
    }
    // Attached keys (application/pgp-keys), one multipart level deep.
    if (raw) {
      const ct = contentTypeOf(msg);
      if (ct.type.startsWith('multipart/') && ct.params.boundary) {
        for (const part of multipartParts(msg.body, ct.params.boundary)) {
          // The part's header decides; a 1 MiB attachment is not parsed (line ends and all) for it.
          // (The parts of a parsed entity have CRLF line ends already; a part that starts with an
          // empty line has no header fields at all.)
          const end = part.indexOf('\r\n\r\n');
          const headers = part[0] === 0x0d && part[1] === 0x0a ? [] : parseHeaders(part.subarray(0, end < 0 ? part.length : end + 2).toString('latin1'));
          if (contentTypeOf({ headers, body: Buffer.alloc(0) }).type !== 'application/pgp-keys') continue;
          const e = parseEntity(part);
          const cte = (headerValue(e.headers, 'content-transfer-encoding') ?? '').toLowerCase();
          n += await kr().harvestPgp(cte === 'base64' ? Buffer.from(e.body.toString('latin1'), 'base64') : e.body, from);
        }
      }
    }
    return n;
  }

  async function process(mail: ClaimedMail, ctx: StageContext): Promise<StageResult> {
    const env = mail.envelope;
    const cfg = deps.config();
    const policy = deps.policies().forInbound(env.direction, env.sender, env.recipients.map((r) => r.address));
    if (!policy && env.direction !== 'inbound') return { outcome: { kind: 'advance', note: `${env.direction} mail: no inbound policy` } };
    const decrypt = cfg.inbound.decrypt && !policy?.passEncrypted;
    const head = parseHeaders(await readHead(ctx.openBody()));
    const headOnly: Entity = { headers: head, body: Buffer.alloc(0) };
    const kind = smimeKind(headOnly) ?? pgpKind(headOnly);
    const spoofed = head.some((h) => OWN_HEADERS.some((n) => n.toLowerCase() === h.name.toLowerCase()));
    const autocrypt = cfg.inbound.harvest && head.some((h) => h.name.toLowerCase() === 'autocrypt');
    // Inline PGP shows only in the body: a single text part is read and searched (bounded size).
    let raw: Buffer | null = null;
    let inline: InlinePgp | null = null;
    if (!kind && (decrypt || cfg.inbound.verify) && mayCarryInlinePgp(headOnly) && mail.size <= INLINE_PGP_MAX) {
      raw = await ctx.readBody();
      inline = findInlinePgp(parseEntity(raw));
    }
    if (!kind && !inline && !spoofed && !autocrypt) return { outcome: { kind: 'advance', note: 'neither encrypted nor signed' } };

    raw ??= await ctx.readBody();
    const original = parseEntity(raw);
    const from = addressIn(headerValue(original.headers, 'from'));
    const notes: string[] = [];
    const extra: HeaderField[] = [];
    let inner: Buffer | null = null; // the decrypted entity, when decrypted
    let current: Entity = original;
    let verdict: SignatureVerdict | null = null;
    let failure: string | null = null;

    if (kind === 'enveloped' || kind === 'encrypted' || inline?.kind === 'encrypted') {
      const method = kind === 'enveloped' ? 'smime' : 'pgp';
      if (!decrypt) {
        // Untouched means byte for byte: the decision is in message tracking, not in a header.
        notes.push(`${method} encrypted: passed untouched (${policy?.passEncrypted ? `policy "${policy.name}"` : 'decryption switched off'})`);
      } else {
        try {
          if (method === 'smime') {
            const r = openEnvelopedData(cmsOf(original), await kr().smimeDecryptionKeys());
            inner = r.content;
            extra.push(field(DECRYPTION_HEADER, `decrypted; method=smime; key=${r.key.id.slice(0, 16)}`));
            notes.push(`S/MIME decrypted with key ${r.key.id.slice(0, 16)}`);
          } else if (inline) {
            const found = inline;
            const r = await pgpDecryptArmored(() => inlineArmored(found), (ids) => kr().pgpDecryptionKeys(ids), (await kr().pgpVerificationKeys()).map((k) => k.key));
            inner = inlineDecryptedEntity(found, r.content, original);
            extra.push(field(DECRYPTION_HEADER, `decrypted; method=pgp-inline; key=${r.keyId.slice(0, 16)}`));
            notes.push(`inline OpenPGP decrypted with key ${r.keyId.slice(0, 16)}`);
            if (cfg.inbound.verify) verdict = await verifyInner(r.signatures, from);
          } else {
            const r = await pgpDecrypt(original, (ids) => kr().pgpDecryptionKeys(ids), (await kr().pgpVerificationKeys()).map((k) => k.key));
            inner = r.content;
            extra.push(field(DECRYPTION_HEADER, `decrypted; method=pgp; key=${r.keyId.slice(0, 16)}`));
            notes.push(`OpenPGP decrypted with key ${r.keyId.slice(0, 16)}`);
            if (cfg.inbound.verify) verdict = await verifyInner(r.signatures, from);
          }
          current = parseEntity(inner);
        } catch (err) {
          if (!(err instanceof SealerError)) throw err;
          if (err.code === 'NO_KEY') {
            extra.push(field(DECRYPTION_HEADER, `none; method=${method}; reason=${quote(err.message)}`));
            notes.push(`${method} encrypted: no key held, passed as it came`);
          } else {
            failure = `${method} decryption failed: ${err.message}`;
            extra.push(field(DECRYPTION_HEADER, `failed; method=${method}; reason=${quote(err.message)}`));
          }
        }
      }
    }

    if (!verdict && cfg.inbound.verify && !failure) {
      try {
        const sk = smimeKind(current);
        if (sk === 'signed-multipart' || sk === 'signed-opaque') verdict = await verifySmime(current, from, cfg.inbound.harvest);
        else if (pgpKind(current) === 'signed') verdict = await verifyPgp(current, from);
        else {
          // Cleartext-signed inline text, as it came or inside what was just decrypted.
          const signedInline = current === original ? inline : findInlinePgp(current);
          if (signedInline?.kind === 'signed') verdict = await verifyInline(signedInline, from);
        }
      } catch (err) {
        if (!(err instanceof SealerError)) throw err;
        verdict = { status: 'invalid', method: err.message.includes('OpenPGP') ? 'pgp' : 'smime', signer: null, reason: err.message };
      }
    }
    // Enveloped inside a signature (encrypt-then-sign, or the outer layers of a triple wrap): the
    // signature covered the encrypted entity; open it too and check a signature inside. The result
    // is delivered decrypted, with the signature verdicts in the header instead of the wrapper.
    const signedKind = smimeKind(current);
    if (decrypt && !inner && !failure && (signedKind === 'signed-multipart' || signedKind === 'signed-opaque')) {
      let enclosed: Entity | null = null;
      try {
        const c = smimeSignedContent(current);
        enclosed = c ? parseEntity(c) : null;
      } catch (err) {
        if (!(err instanceof SealerError)) throw err;
      }
      if (enclosed && smimeKind(enclosed) === 'enveloped') {
        try {
          const r = openEnvelopedData(cmsOf(enclosed), await kr().smimeDecryptionKeys());
          inner = r.content;
          current = parseEntity(inner);
          extra.push(field(DECRYPTION_HEADER, `decrypted; method=smime; key=${r.key.id.slice(0, 16)}; layer=inside-signature`));
          notes.push(`S/MIME decrypted inside the signature with key ${r.key.id.slice(0, 16)}`);
          const sk = smimeKind(current);
          if (cfg.inbound.verify && (sk === 'signed-multipart' || sk === 'signed-opaque')) {
            let innerVerdict: SignatureVerdict;
            try {
              innerVerdict = await verifySmime(current, from, cfg.inbound.harvest);
            } catch (err) {
              if (!(err instanceof SealerError)) throw err;
              innerVerdict = { status: 'invalid', method: 'smime', signer: null, reason: err.message };
            }
            verdict = verdict ? combine(verdict, innerVerdict) : innerVerdict;
            notes.push('triple-wrapped: signatures outside and inside the encryption checked');
          }
        } catch (err) {
          if (!(err instanceof SealerError)) throw err;
          if (err.code === 'NO_KEY') {
            extra.push(field(DECRYPTION_HEADER, `none; method=smime; reason=${quote(err.message)}`));
            notes.push('S/MIME encrypted inside the signature: no key held, passed as it came');
          } else {
            failure = `smime decryption failed: ${err.message}`;
            extra.push(field(DECRYPTION_HEADER, `failed; method=smime; reason=${quote(err.message)}`));
          }
        }
      }
    }
    if (verdict) {
      extra.push(signatureHeader(verdict));
      notes.push(`signature ${verdict.status}${verdict.signer ? ` (${verdict.signer})` : ''}${verdict.reason ? `: ${verdict.reason}` : ''}`);
    }
    if (cfg.inbound.harvest) {
      const n = await harvestPgp(inner ? current : original, raw, from).catch(() => 0);
      if (n) notes.push(`${n} OpenPGP key(s) harvested`);
    }
    if (spoofed) notes.push('forged X-Gatehouse headers removed');

    if (failure && policy?.onFailure === 'hold') return { outcome: { kind: 'hold', queue: 'hold', reason: failure } };
    if (failure) notes.push(`${failure}; delivered as it came`);

    const note = (policy ? `policy "${policy.name}": ` : '') + (notes.join('; ') || 'nothing to do');
    if (!extra.length && !spoofed) return { outcome: { kind: 'advance', note } };
    let out: Buffer;
    const stripped: Entity = { headers: without(original.headers, OWN_HEADERS), body: original.body };
    // What was sealed wins over the outer copy (a hidden "..." Subject, or a changed one).
    // Whenever `inner` is set, `current` is parseEntity(inner): not parsed a second time.
    const opened = inner ? current : null;
    if (opened) out = unwrap(restoreProtectedHeaders(stripped, protectedHeadersOf(opened)), opened, extra);
    else out = serialize({ headers: [...extra, ...stripped.headers], body: original.body });
    if (verdict && policy?.markSignature === 'subject') {
      const e = parseEntity(out);
      out = serialize({ headers: tagSubject(e.headers, SUBJECT_TAGS[verdict.status]), body: e.body });
    }
    const bodyKey = await writeBody(ctx.bodies, mail.id, out);
    return { outcome: { kind: 'advance', note }, bodyKey };
  }

  return { name: 'seal-in', process };
}
