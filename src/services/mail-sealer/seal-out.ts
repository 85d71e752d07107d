// Stage seal-out: signs and encrypts outgoing mail by policy. Each pending recipient gets the
// treatment of the first policy that matches it; recipients with the same treatment share one
// body, the others are split off into their own mails (straight to deliver). A recipient that a
// "force" policy cannot serve fails with a DSN to the sender: it never gets the mail in clear.
// A local sender's "[secure:passphrase]" in the Subject overrides the policies for the mail.
// A recipient that a portal policy sends through the encryption portal gets a notification
// instead (portal-crypt stores the mail); while the portal is stopped, the mail waits here.
import type { Envelope, GeneratedMail, Recipient, StageResult } from '../../core/mail.ts';
import type { Stage, StageContext } from '../../flow/stage.ts';
import type { ClaimedMail } from '../../store/store.ts';
import { buildDsn, type DsnRecipient } from '../smtp-sender/dsn.ts';
import { readOriginal } from '../smtp-sender/original.ts';
import type { SealerConfig, SealerPolicy } from './config.ts';
import type { Keyring, SmimeIdentity } from './keys/keyring.ts';
import { addressIn, assemble, field, headerValue, parseEntity, parseHeaders, serialize, splitForSealing, without, type Entity } from './mime/entity.ts';
import { readHead } from './mime/read-head.ts';
import { passphraseRequest, type PassphraseRequest } from './passphrase-request.ts';
import type { PortalHandoff } from './portal-handoff.ts';
import { make7bit } from './mime/seven-bit.ts';
import { splitWithProtectedHeaders } from './mime/protected-headers.ts';
import { pgpEncrypt, pgpKind, pgpSign } from './pgp/pgp-mime.ts';
import type { SealerPolicies } from './policy.ts';
import { smimeEncrypt, smimeKind, smimeSign } from './smime/smime-mime.ts';
import { writeBody } from './write-body.ts';
import type * as openpgp from 'openpgp';

export interface SealOutDeps {
  keyring: () => Keyring;
  policies: () => SealerPolicies;
  config: () => SealerConfig;
  hostname: string;
  now?: () => number;
  /** The encryption portal (portal-crypt); absent: portal policies have no portal. */
  portal?: () => PortalHandoff | null;
}

/** How long a mail for the portal waits while portal-crypt is stopped, before it is tried again. */
const PORTAL_DOWN_RETRY_MS = 5 * 60_000;

type Method = 'smime' | 'pgp';

interface Plan {
  recipient: Recipient;
  policy: SealerPolicy | null;
  sign: Method | null;
  encrypt: Method | null;
  /** Why this recipient cannot get the mail (a "force" policy without a key). */
  failure?: string;
  /** Why a policy's wish was not carried out (calendar, no key under if-possible). */
  remark?: string;
  /** Sent through the encryption portal (no key, and the policy says portal). */
  portal?: boolean;
  smimeCert?: Buffer;
  pgpKey?: openpgp.Key;
}

const DESC: Record<Method, string> = { smime: 'S/MIME', pgp: 'OpenPGP' };

/** Calendar invitations: a text/calendar part anywhere (Outlook and others cannot process a sealed one). */
function hasCalendar(raw: Buffer): boolean {
  // Line by line in the bytes (a line starts the message or follows CR or LF, as ^ with the m
  // flag): only lines that start with "c" are read as text, not the whole 1 MiB message.
  const re = /^content-type:[ \t]*text\/calendar/i;
  const startsField = (at: number) => (raw[at] === 0x63 || raw[at] === 0x43) && re.test(raw.toString('latin1', at, Math.min(raw.length, at + 256)));
  if (startsField(0)) return true;
  for (const eol of [0x0a, 0x0d]) {
    for (let i = raw.indexOf(eol); i >= 0; i = raw.indexOf(eol, i + 1)) if (startsField(i + 1)) return true;
  }
  return false;
}

/** Signing identities of the sender, looked up once per mail. */
class SenderIdentities {
  private smime?: Promise<SmimeIdentity | null>;
  private pgp?: Promise<{ id: string; key: openpgp.PrivateKey } | null>;
  constructor(
    private readonly keyring: Keyring,
    readonly address: string,
  ) {}
  smimeSigner() {
    return (this.smime ??= this.keyring.smimeSigner(this.address));
  }
  pgpSigner() {
    return (this.pgp ??= this.keyring.pgpSigner(this.address));
  }
  async has(m: Method): Promise<boolean> {
    return (await (m === 'smime' ? this.smimeSigner() : this.pgpSigner())) !== null;
  }
}

/** What the sender's own client did already (end-to-end): never sealed a second time. */
interface AlreadySealed {
  encrypted: boolean;
  signed: boolean;
}

function alreadySealed(msg: Entity): AlreadySealed {
  const s = smimeKind(msg);
  const p = pgpKind(msg);
  return { encrypted: s === 'enveloped' || p === 'encrypted', signed: s === 'signed-multipart' || s === 'signed-opaque' || p === 'signed' };
}

type PortalState = ReturnType<PortalHandoff['state']>;

async function planFor(r: Recipient, policy: SealerPolicy | null, calendar: boolean, already: AlreadySealed, keyring: Keyring, ids: SenderIdentities, portal: PortalState): Promise<Plan> {
  const plan: Plan = { recipient: r, policy, sign: null, encrypt: null };
  if (!policy) return plan;
  if (calendar && policy.excludeCalendar) return { ...plan, remark: 'calendar invitation: not sealed' };
  // Encrypted by the sender satisfies any policy; wrapping it again would only hide it from them.
  if (already.encrypted) return { ...plan, remark: 'encrypted by the sender already' };
  const methods: Method[] = policy.method === 'auto' ? ['smime', 'pgp'] : policy.method === 'portal' ? [] : [policy.method];
  if (policy.encrypt !== 'never') {
    for (const m of methods) {
      if (m === 'smime') {
        const c = await keyring.smimeRecipient(r.address);
        if (c) {
          plan.encrypt = 'smime';
          plan.smimeCert = c.certificate;
          break;
        }
      } else {
        const k = await keyring.pgpRecipient(r.address);
        if (k) {
          plan.encrypt = 'pgp';
          plan.pgpKey = k.key;
          break;
        }
      }
    }
    if (!plan.encrypt) {
      const what = methods.length ? methods.map((m) => DESC[m]).join(' or ') : 'portal';
      if (policy.encrypt === 'if-possible-else-portal' || policy.method === 'portal') {
        // The portal shows the mail itself; a signature would have nobody to check it.
        if (portal !== 'absent') return { ...plan, portal: true };
        return { ...plan, failure: `policy "${policy.name}" sends mail without a key through the encryption portal, which is not available on this gateway` };
      }
      if (policy.encrypt === 'force') return { ...plan, failure: `encryption required by policy "${policy.name}", but the gateway holds no ${what} key for <${r.address}>` };
      plan.remark = `no ${what} key: sent unencrypted`;
    }
  }
  if (policy.sign !== 'never' && already.signed) plan.remark = [plan.remark, 'signed by the sender already'].filter(Boolean).join('; ');
  else if (policy.sign !== 'never') {
    const allowed: Method[] = policy.method === 'smime' || policy.method === 'pgp' ? [policy.method] : ['smime', 'pgp'];
    const order = plan.encrypt ? [plan.encrypt, ...allowed.filter((m) => m !== plan.encrypt)].filter((m) => allowed.includes(m)) : allowed;
    for (const m of order) {
      if (await ids.has(m)) {
        plan.sign = m;
        break;
      }
    }
    if (!plan.sign) {
      if (policy.sign === 'force') return { ...plan, failure: `signing required by policy "${policy.name}", but the gateway holds no signing key for <${ids.address}>` };
      plan.remark = [plan.remark, 'no signing key: not signed'].filter(Boolean).join('; ');
    }
  }
  return plan;
}

const treatmentKey = (p: Plan) => `${p.sign ?? '-'}/${p.encrypt ?? '-'}`;

function describe(p: Plan): string {
  if (!p.sign && !p.encrypt) return 'sent as it is';
  if (p.sign && p.encrypt) return p.sign === p.encrypt ? `${DESC[p.sign]} signed and encrypted` : `${DESC[p.sign]} signed, ${DESC[p.encrypt]} encrypted`;
  return p.sign ? `${DESC[p.sign]} signed` : `${DESC[p.encrypt!]} encrypted`;
}

/** The sealed message for a group of recipients with the same treatment. */
async function seal(msg: Entity, group: Plan[], ids: SenderIdentities, cfg: SealerConfig): Promise<Buffer> {
  const { sign, encrypt } = group[0];
  const { outer, inner } = splitWithProtectedHeaders(msg, cfg.protectedHeaders, Boolean(encrypt));
  let entity: Entity | null = null;
  if (sign === 'pgp' && encrypt === 'pgp') {
    const signer = await ids.pgpSigner();
    entity = await pgpEncrypt(inner, group.map((p) => p.pgpKey!), signer!.key);
  } else {
    let content = inner;
    if (sign === 'smime') {
      const id = (await ids.smimeSigner())!;
      entity = smimeSign(make7bit(inner), id);
      content = serialize(entity);
    } else if (sign === 'pgp') {
      entity = await pgpSign(make7bit(inner), (await ids.pgpSigner())!.key);
      content = serialize(entity);
    }
    if (encrypt === 'smime') entity = smimeEncrypt(content, group.map((p) => p.smimeCert!), cfg.smime);
    else if (encrypt === 'pgp') entity = await pgpEncrypt(content, group.map((p) => p.pgpKey!), null);
  }
  return assemble(outer, entity!);
}

export function createSealOutStage(deps: SealOutDeps): Stage {
  const clock = deps.now ?? Date.now;

  async function process(mail: ClaimedMail, ctx: StageContext): Promise<StageResult> {
    const env = mail.envelope;
    const policies = deps.policies();
    const waiting = env.recipients.filter((r) => r.status === 'pending' || r.status === 'deferred');
    const pp = deps.config().passphrase;
    if (pp.enabled && env.direction !== 'inbound') {
      const subject = headerValue(parseHeaders(await readHead(ctx.openBody())), 'subject');
      const request = passphraseRequest(subject, pp.keyword);
      if (request) return withPassphrase(mail, ctx, waiting, request);
    }
    const matched = waiting.map((r) => ({ r, p: policies.forRecipient(env.direction, env.sender, r.address) }));
    const portal = deps.portal?.() ?? null;
    const portalState: PortalState = portal?.state() ?? 'absent';
    const pwHeader = portal && portalState !== 'absent' ? portal.passwordHeader : null;
    if (matched.every(({ p }) => !p || (p.sign === 'never' && p.encrypt === 'never'))) {
      // A portal password in a header must not go out with the mail, whatever the policies say.
      if (!pwHeader || headerValue(parseHeaders(await readHead(ctx.openBody())), pwHeader) === undefined) {
        return { outcome: { kind: 'advance', note: matched.some(({ p }) => p) ? `policy "${matched.find(({ p }) => p)!.p!.name}": neither sign nor encrypt` : 'no sealing policy matched' } };
      }
    }
    const raw = await ctx.readBody();
    let msg = parseEntity(raw);
    let senderPassword: string | null = null;
    const passwordGiven = pwHeader !== null && headerValue(msg.headers, pwHeader) !== undefined;
    if (passwordGiven) {
      senderPassword = headerValue(msg.headers, pwHeader)!;
      msg = { ...msg, headers: without(msg.headers, [pwHeader]) };
    }
    const calendar = hasCalendar(raw);
    const already = alreadySealed(msg);
    const keyring = deps.keyring();
    const ids = new SenderIdentities(keyring, addressIn(headerValue(msg.headers, 'from')) ?? env.sender.toLowerCase());
    const plans: Plan[] = [];
    for (const { r, p } of matched) plans.push(await planFor(r, p, calendar, already, keyring, ids, portalState));

    const toPortal = plans.filter((p) => p.portal);
    if (toPortal.length && portalState === 'down') {
      return { outcome: { kind: 'defer', until: clock() + PORTAL_DOWN_RETRY_MS, reason: 'the encryption portal (portal-crypt) is stopped; the mail waits for it' } };
    }
    const deposited = new Map<string, { id: string; notification: GeneratedMail }>();
    if (toPortal.length) {
      const portalRaw = serialize(msg);
      for (const p of toPortal) {
        const res = await portal!.deposit({ mailId: mail.id, sender: env.sender, recipient: p.recipient.address, raw: portalRaw, senderPassword });
        if ('failure' in res) p.failure = res.failure;
        else deposited.set(p.recipient.address, res);
      }
    }

    const envelope: Envelope = structuredClone(env);
    const byAddress = new Map(envelope.recipients.map((r) => [r.address, r]));
    const failures = plans.filter((p) => p.failure);
    for (const f of failures) {
      const r = byAddress.get(f.recipient.address)!;
      r.status = 'failed';
      r.response = `550 5.7.5 ${f.failure}`;
    }
    for (const [address, d] of deposited) {
      const r = byAddress.get(address)!;
      r.status = 'delivered';
      r.response = `250 2.0.0 stored in the encryption portal as ${d.id}; notification sent`;
    }
    const groups = new Map<string, Plan[]>();
    for (const p of plans.filter((x) => !x.failure && !x.portal)) groups.set(treatmentKey(p), [...(groups.get(treatmentKey(p)) ?? []), p]);

    const notes: string[] = [];
    for (const g of groups.values()) {
      const names = [...new Set(g.map((p) => (p.policy ? `"${p.policy.name}"` : 'no policy')))].join(', ');
      const remarks = [...new Set(g.map((p) => p.remark).filter(Boolean))].join('; ');
      notes.push(`${describe(g[0])} for ${g.length} recipient(s) (${names}${remarks ? `; ${remarks}` : ''})`);
    }
    if (deposited.size) {
      const names = [...new Set(toPortal.filter((p) => deposited.has(p.recipient.address)).map((p) => `"${p.policy!.name}"`))].join(', ');
      notes.push(`sent through the encryption portal for ${deposited.size} recipient(s) (${names}; notification sent, portal ${[...deposited.values()].map((d) => d.id).join(', ')})`);
    }
    if (failures.length) notes.push(`${failures.length} recipient(s) bounced: ${failures[0].failure}`);

    const generated: GeneratedMail[] = [...[...deposited.values()].map((d) => d.notification)];
    if (failures.length) {
      const dsn = await bounceFor(mail, envelope, failures, ctx);
      if (dsn) generated.push(dsn);
    }
    if (!groups.size) {
      return { outcome: { kind: 'finish', state: deposited.size ? 'delivered' : 'bounced', reason: notes.join('; ') }, envelope, generated };
    }
    // The group sent as it is keeps the original body; otherwise the first group takes this mail.
    const ordered = [...groups.values()].sort((a, b) => Number(Boolean(a[0].sign || a[0].encrypt)) - Number(Boolean(b[0].sign || b[0].encrypt)));
    const [first, ...rest] = ordered;
    for (const g of rest) {
      const addresses = new Set(g.map((p) => p.recipient.address));
      generated.push({
        envelope: { ...structuredClone(env), recipients: env.recipients.filter((r) => addresses.has(r.address)).map((r) => ({ ...r })), meta: { ...(env.meta ?? {}), sealedFrom: mail.id } },
        body: await seal(msg, g, ids, deps.config()),
        queue: 'deliver',
      });
    }
    const moved = new Set(rest.flat().map((p) => p.recipient.address));
    envelope.recipients = envelope.recipients.filter((r) => !moved.has(r.address));
    let bodyKey: string | undefined;
    if (first[0].sign || first[0].encrypt) bodyKey = await writeBody(ctx.bodies, mail.id, await seal(msg, first, ids, deps.config()));
    else if (passwordGiven) bodyKey = await writeBody(ctx.bodies, mail.id, serialize(msg));
    return { outcome: { kind: 'advance', note: notes.join('; ') }, envelope, bodyKey, generated };
  }

  /** Every waiting recipient gets the mail encrypted to the passphrase (or, too short, a bounce). */
  async function withPassphrase(mail: ClaimedMail, ctx: StageContext, waiting: Recipient[], request: PassphraseRequest): Promise<StageResult> {
    const min = deps.config().passphrase.minLength;
    const envelope: Envelope = structuredClone(mail.envelope);
    if (request.passphrase.length < min) {
      const failure = `the passphrase asked for in the Subject is shorter than ${min} characters; the mail was not sent`;
      const failed: Plan[] = waiting.map((r) => ({ recipient: r, policy: null, sign: null, encrypt: null, failure }));
      for (const r of envelope.recipients) if (waiting.some((w) => w.address === r.address)) Object.assign(r, { status: 'failed', response: `550 5.7.5 ${failure}` });
      const dsn = await bounceFor(mail, envelope, failed, ctx);
      return { outcome: { kind: 'finish', state: 'bounced', reason: failure }, envelope, generated: dsn ? [dsn] : [] };
    }
    const msg = parseEntity(await ctx.readBody());
    const { outer, inner } = splitForSealing(msg);
    const headers = outer.map((h) => (h.name.toLowerCase() === 'subject' ? field(h.name, request.subject) : h));
    const sealed = assemble(headers, await pgpEncrypt(inner, { passphrase: request.passphrase }, null));
    const bodyKey = await writeBody(ctx.bodies, mail.id, sealed);
    return { outcome: { kind: 'advance', note: `passphrase encryption asked for in the Subject: OpenPGP (passphrase) for ${waiting.length} recipient(s)` }, bodyKey };
  }

  async function bounceFor(mail: ClaimedMail, envelope: Envelope, failures: Plan[], ctx: StageContext): Promise<GeneratedMail | null> {
    if (!envelope.sender) return null; // never bounce a bounce
    const wanted = failures.filter((f) => !f.recipient.notify?.length || f.recipient.notify.map((n) => n.toUpperCase()).includes('FAILURE'));
    if (!wanted.length) return null;
    const now = clock();
    const recipients: DsnRecipient[] = wanted.map((f) => ({
      address: f.recipient.address,
      ...(f.recipient.orcpt ? { orcpt: f.recipient.orcpt } : {}),
      action: 'failed',
      status: '5.7.5',
      reason: f.failure,
      lastAttempt: now,
    }));
    const original = await readOriginal(ctx.openBody(), { ret: envelope.ret, size: mail.size });
    return buildDsn({ hostname: deps.hostname, sender: envelope.sender, recipients, arrivalDate: mail.receivedAt, now, original, ret: envelope.ret, envid: envelope.envid, mailId: mail.id });
  }

  return { name: 'seal-out', process };
}
