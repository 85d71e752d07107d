// The spamfinder stage: phase-2 filters in a fixed order (allow lists, virus, block lists, FUZZY,
// SRC, DMARC, BAYES with the rule layer) and the profile's action for the first that fires; clean inbound mail then
// meets CISS where the profile asks for it. Allow lists win over every spam filter; the virus scan
// runs for every mail (an allow-listed sender can still send a virus). Inbound mail gets every
// filter, outbound and internal mail the virus scan only. A mail whose recipients are owed
// different treatment (profile, own allow/block list, a sender CISS knows for some of them) is
// split into copies first, one verdict each (process). Each verdict names the filter that decided and why, in
// envelope.meta.spamfinder and in the tracking event's reason. Inbound mail that did not pass
// smtp-receiver loses forged verdict headers here (header-hygiene.ts).
import type { Envelope, StageResult } from '../../core/mail.ts';
import type { Stage, StageContext } from '../../flow/stage.ts';
import type { ClaimedMail } from '../../store/store.ts';
import { buildDsn } from '../smtp-sender/dsn.ts';
import { readOriginal } from '../smtp-sender/original.ts';
import type { VirusScanner } from '../virus-scanner/index.ts';
import type { FuzzyFilter } from '../fuzzy-filter/index.ts';
import type { SenderCallout } from './sender-callout.ts';
import type { Ciss } from './ciss.ts';
import type { BayesFilter } from './bayes/bayes-filter.ts';
import { MAX_INPUT, mailTokens, type MailTokens } from './bayes/tokens.ts';
import { contentVerdict } from './rules/content-filter.ts';
import type { FilterAction, SpamfinderConfig } from './config.ts';
import type { FilterLists, ListMatch } from './lists.ts';
import { profileFor, type ChosenProfile } from './profiles.ts';
import { writeRewritten } from './rewrite.ts';
import { HeaderHygiene } from './header-hygiene.ts';

export type VerdictKind = 'clean' | 'allowed' | 'spam' | 'virus' | 'unknown-sender';

/** What envelope.meta.spamfinder holds after the stage. */
export interface SpamVerdict {
  verdict: VerdictKind;
  /** The deciding filter: AWL, DWL, NWL, SWL, ABL, DBL, NBL, SBL, FUZZY, SRC, DMARC, BAYES, RULES, VIRUS (none for clean). */
  filter?: string;
  reason: string;
  score?: number;
  action?: FilterAction;
  profile: string;
  /** Filters that ran, with their short result. */
  checks: Record<string, string>;
  /** Subject of the mail (for quarantine listings), at most 200 characters. */
  subject: string;
  at: number;
}

export interface SpamfinderStageDeps {
  config: SpamfinderConfig;
  hostname: string;
  lists: FilterLists;
  bayes: BayesFilter;
  scanner: VirusScanner | null;
  fuzzy: FuzzyFilter | null;
  /** SRC; null when off. */
  callout: SenderCallout | null;
  /** CISS; null when no profile uses it. */
  ciss: Ciss | null;
}

interface Hit {
  kind: 'spam' | 'virus';
  filter: string;
  reason: string;
  score?: number;
  action: FilterAction;
}

/** Reads at most `limit` bytes of a stream. */
async function readHead(stream: NodeJS.ReadableStream & { destroy?: () => void }, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    parts.push(c);
    n += c.length;
    if (n >= limit) break;
  }
  stream.destroy?.();
  const b = Buffer.concat(parts, n);
  return b.length > limit ? b.subarray(0, limit) : b;
}

export function createSpamfinderStage(d: SpamfinderStageDeps): Stage {
  const cfg = d.config;

  async function decide(mail: ClaimedMail, ctx: StageContext, t: MailTokens | null, chosen: ChosenProfile, checks: Record<string, string>): Promise<Hit | 'allowed' | null | { defer: string }> {
    const env = mail.envelope;
    const p = chosen.profile;
    const inbound = env.direction === 'inbound';
    const subject = { senders: [env.sender.toLowerCase(), t?.from ?? ''], clientIp: env.clientIp, subject: t?.subject ?? '' };
    // Recipients' own lists count when they agree for all of them (lists.ts).
    const recipients = env.recipients.map((r) => r.address);

    // The allow lists are only honoured when the sender was not proven forged (SPF/DMARC fail).
    const auth = env.meta?.auth as { spf?: string; dmarc?: { result?: string; policy?: string; domain?: string } | null } | undefined;
    const forged = auth?.dmarc?.result === 'fail' || auth?.spf === 'fail';
    let allowed: Awaited<ReturnType<FilterLists['allowed']>> = null;
    if (inbound) {
      allowed = await d.lists.allowed(subject, recipients);
      if (allowed && forged) {
        checks[allowed.list.toUpperCase()] = `ignored: ${allowed.value} matched but SPF/DMARC failed`;
        allowed = null;
      }
    }

    // Virus scan.
    const scanner = d.scanner;
    const state = scanner ? scanner.state() : 'not-configured';
    if (state === 'ready' && p.virus !== 'pass') {
      try {
        const r = await scanner!.scan(ctx.openBody(), ctx.signal);
        checks.VIRUS = r.infected ? `found ${r.signature}` : 'clean';
        if (r.infected) return { kind: 'virus', filter: 'VIRUS', reason: `virus found: ${r.signature}`, action: p.virus };
      } catch (err) {
        return { defer: `virus scan failed: ${(err as Error).message}` };
      }
    } else if (state === 'stopped') {
      return { defer: 'virus-scanner is stopped; the mail waits for it' };
    } else {
      checks.VIRUS = `skipped (${state === 'ready' ? 'profile' : state})`;
    }

    if (allowed) {
      checks[allowed.list.toUpperCase()] = `${allowed.matched} matches ${allowed.value}${ownedBy(allowed)}`;
      return 'allowed';
    }
    if (!inbound) return null;

    const blocked = await d.lists.blocked(subject, recipients);
    if (blocked && p.blocklist !== 'pass') {
      const f = blocked.list.toUpperCase();
      checks[f] = `${blocked.matched} matches ${blocked.value}${ownedBy(blocked)}`;
      return { kind: 'spam', filter: f, reason: `${f}: ${blocked.matched} matches "${blocked.value}"${ownedBy(blocked)}`, action: p.blocklist };
    }

    if (t && d.fuzzy && p.fuzzy !== 'pass') {
      const f = d.fuzzy.available ? await d.fuzzy.check(t.text) : null;
      checks.FUZZY = f ? `matches known spam (${f.similarity})` : d.fuzzy.available ? 'no match' : 'skipped (fuzzy-filter not running)';
      if (f) {
        return { kind: 'spam', filter: 'FUZZY', reason: `FUZZY: ${Math.round(f.similarity * 100)}% of its fingerprint matches known spam ${f.digest.slice(0, 12)}`, action: p.fuzzy };
      }
    }

    if (d.callout && env.sender && p.src !== 'pass') {
      const c = await d.callout.check(env.sender);
      checks.SRC = `${c.verdict}: ${c.reason}`;
      if (c.verdict === 'refused') return { kind: 'spam', filter: 'SRC', reason: `SRC: ${c.reason}`, action: p.src };
    }

    if (auth?.dmarc?.result === 'fail' && p.dmarc !== 'pass') {
      checks.DMARC = `fail (policy ${auth.dmarc.policy ?? 'none'})`;
      return { kind: 'spam', filter: 'DMARC', reason: `DMARC fail for ${auth.dmarc.domain ?? 'the From domain'} (policy ${auth.dmarc.policy ?? 'none'})`, action: p.dmarc };
    }

    // BAYES and the rule layer: one spam probability from both (rules/content-filter.ts); the
    // filter whose evidence weighed more decides and its profile action applies.
    if (t && (p.bayes !== 'pass' || (p.rules ?? p.bayes) !== 'pass')) {
      const c = await contentVerdict(d.bayes, t, cfg);
      checks.BAYES = c.bayes ? `score ${Math.round(c.bayes.score * 10000) / 10000}` : 'not trained yet';
      if (c.combined) checks.RULES = c.rulesCheck;
      const action = c.filter === 'RULES' ? (p.rules ?? p.bayes) : p.bayes;
      if (c.spam && c.filter && action !== 'pass') {
        return { kind: 'spam', filter: c.filter, reason: `${c.filter}: ${c.reason}`, score: c.score ?? undefined, action };
      }
    }
    return null;
  }

  /**
   * Recipients grouped by the treatment they are owed: their filter profile and, for inbound mail,
   * whether their own allow or block list names the sender and whether CISS knows the sender for
   * them. One group: one verdict for the mail.
   */
  async function treatmentGroups(env: Envelope, t: MailTokens | null): Promise<string[][]> {
    const groups = new Map<string, string[]>();
    const subject = { senders: [env.sender.toLowerCase(), t?.from ?? ''], clientIp: env.clientIp, subject: t?.subject ?? '' };
    for (const r of env.recipients) {
      let key = profileFor([r.address], cfg).name;
      if (env.direction === 'inbound') {
        if ((await d.lists.allowed(subject, [r.address]))?.owners) key += ' own-allow';
        else if ((await d.lists.blocked(subject, [r.address]))?.owners) key += ' own-block';
        else if (d.ciss && !(await d.ciss.lets(r.address, env.sender))) key += ' ciss-unknown';
      }
      groups.set(key, [...(groups.get(key) ?? []), r.address]);
    }
    return [...groups.values()];
  }

  return {
    name: 'spamfinder',
    /**
     * A mail whose recipients are owed different treatment (another profile, their own allow or
     * block list, a sender CISS knows for some of them) is split first, as the mail-sealer splits by encryption policy: this mail goes on
     * with the first group, each other group becomes a copy of it (same body and envelope meta,
     * `meta.splitFrom`) that starts in this stage again and gets its own verdict. The copies are
     * created in the same step as this mail's move; a deferred mail is not split (the next try
     * splits it). The headers are not changed: each recipient still sees who else got the mail.
     */
    async process(mail, ctx): Promise<StageResult> {
      let tokens: MailTokens | null = null;
      let head: Buffer | null = null;
      let unreadable: string | null = null;
      try {
        head = await readHead(ctx.openBody(), MAX_INPUT);
        tokens = await mailTokens(head, { envelopeSender: mail.envelope.sender });
      } catch (err) {
        unreadable = (err as Error).message;
      }
      const groups = mail.envelope.recipients.length > 1 ? await treatmentGroups(mail.envelope, tokens) : [];
      if (groups.length < 2) return judge(mail, ctx, head, tokens, unreadable);
      const env = mail.envelope;
      const inGroup = (g: string[]) => env.recipients.filter((r) => g.includes(r.address)).map((r) => ({ ...r }));
      const r = await judge({ ...mail, envelope: { ...env, recipients: inGroup(groups[0]) } }, ctx, head, tokens, unreadable);
      if (r.outcome.kind === 'defer') return r;
      // The copies need the body as bytes (GeneratedMail); all copies share this one buffer.
      const body = await ctx.readBody();
      const copies = groups.slice(1).map((g) => ({ envelope: { ...structuredClone(env), recipients: inGroup(g), meta: { ...structuredClone(env.meta ?? {}), splitFrom: mail.id } }, body, queue: 'spamfinder' as const }));
      const note = `split by recipients' treatment: ${copies.length} cop${copies.length === 1 ? 'y' : 'ies'} for ${copies.map((c) => c.envelope.recipients.map((x) => x.address).join(', ')).join(' / ')}`;
      const outcome = 'reason' in r.outcome && r.outcome.reason !== undefined ? { ...r.outcome, reason: `${r.outcome.reason}; ${note}` } : r.outcome.kind === 'advance' ? { ...r.outcome, note: [r.outcome.note, note].filter(Boolean).join('; ') } : r.outcome;
      return { ...r, outcome, envelope: r.envelope ?? { ...env, recipients: inGroup(groups[0]) }, generated: [...copies, ...(r.generated ?? [])] };
    },
  };

  /** One verdict for the mail and all its recipients, and the profile's action. */
  async function judge(mail: ClaimedMail, ctx: StageContext, head: Buffer | null, tokens: MailTokens | null, unreadable: string | null): Promise<StageResult> {
    const env = mail.envelope;
    const chosen = profileFor(env.recipients.map((r) => r.address), cfg);
    const checks: Record<string, string> = {};
    /** Forged verdict headers in inbound mail that did not come through smtp-receiver (which removes them itself): the body is rewritten without them. */
    let clean: string | undefined;
    if (unreadable !== null) checks.PARSE = `unreadable: ${unreadable}`;
    if (head && env.direction === 'inbound' && env.source !== 'smtp' && HeaderHygiene.clean(headerBlock(head), d.hostname).removed.length) clean = d.hostname;
    const subject = (tokens?.subject ?? '').slice(0, 200);
    const hit = await decide(mail, ctx, tokens, chosen, checks);
    if (hit && typeof hit === 'object' && 'defer' in hit) {
      return { outcome: { kind: 'defer', until: Date.now() + cfg.virus.retry, reason: hit.defer } };
    }
    if (d.ciss && env.direction === 'outbound') await d.ciss.rememberOutbound(env);
    const held = !hit && d.ciss && env.direction === 'inbound' ? await d.ciss.check(mail, tokens) : null;
    if (held) {
      checks.CISS = held.challenge ? 'unknown sender: challenge sent' : `unknown sender: no challenge (${held.noChallenge})`;
      const verdict: SpamVerdict = { verdict: 'unknown-sender', filter: 'CISS', reason: held.reason, profile: chosen.name, checks, subject, at: Date.now() };
      const { pendingHeaders: ph, ...rest } = (env.meta ?? {}) as Record<string, unknown>;
      const envelope: Envelope = { ...env, meta: { ...rest, spamfinder: verdict } };
      const outcome = { kind: 'hold' as const, queue: 'quarantine:ciss' as const, reason: held.reason };
      const generated = held.challenge ? [held.challenge] : undefined;
      if ((typeof ph !== 'string' || !ph) && !clean) return { outcome, envelope, generated };
      const bodyKey = newKey(mail.id);
      await writeRewritten(ctx.openBody(), ctx.bodies, bodyKey, { prepend: typeof ph === 'string' ? ph : '', clean });
      return { outcome, envelope, generated, bodyKey };
    }
    const verdict: SpamVerdict =
      hit === 'allowed'
        ? { verdict: 'allowed', filter: Object.keys(checks).find((k) => /WL$/.test(k)), reason: 'allow-listed', profile: chosen.name, checks, subject, at: Date.now() }
        : hit
          ? { verdict: hit.kind, filter: hit.filter, reason: hit.reason, score: hit.score, action: hit.action, profile: chosen.name, checks, subject, at: Date.now() }
          : { verdict: 'clean', reason: 'no filter fired', profile: chosen.name, checks, subject, at: Date.now() };
    if (verdict.verdict === 'allowed') verdict.reason = `allow-listed: ${verdict.filter} ${checks[verdict.filter!]}`;
    const { pendingHeaders, ...meta } = (env.meta ?? {}) as Record<string, unknown>;
    const envelope: Envelope = { ...env, meta: { ...meta, spamfinder: verdict } };
    const pending = typeof pendingHeaders === 'string' ? pendingHeaders : '';
    const note = `${verdict.verdict}${verdict.filter ? ': ' + verdict.reason : ''}`;

    if (!hit || hit === 'allowed' || hit.action === 'pass') {
      if (!pending && !clean) return { outcome: { kind: 'advance', note }, envelope };
      const bodyKey = newKey(mail.id);
      await writeRewritten(ctx.openBody(), ctx.bodies, bodyKey, { prepend: pending, clean });
      return { outcome: { kind: 'advance', note }, envelope, bodyKey };
    }
    const reason = `${hit.kind}: ${hit.reason}`;
    switch (hit.action) {
      case 'quarantine': {
        const outcome = { kind: 'hold' as const, queue: hit.kind === 'virus' ? ('quarantine:virus' as const) : ('quarantine:spam' as const), reason };
        if (!pending && !clean) return { outcome, envelope };
        const bodyKey = newKey(mail.id);
        await writeRewritten(ctx.openBody(), ctx.bodies, bodyKey, { prepend: pending, clean });
        return { outcome, envelope, bodyKey };
      }
      case 'mark': {
        const bodyKey = newKey(mail.id);
        const header = `X-Gatehouse-Spam: yes; filter=${hit.filter}${hit.score !== undefined ? `; score=${hit.score}` : ''}; profile=${chosen.name}\r\n`;
        await writeRewritten(ctx.openBody(), ctx.bodies, bodyKey, { prepend: pending + header, subjectTag: chosen.profile.tag, clean });
        return { outcome: { kind: 'advance', note: `marked ${reason}` }, envelope, bodyKey };
      }
      case 'decline': {
        if (!env.sender) {
          ctx.log.warn(`declined without a report (null sender): ${reason}`, { mailId: mail.id });
          return { outcome: { kind: 'finish', state: 'deleted', reason: `declined, no report to the null sender: ${reason}` }, envelope };
        }
        const original = await readOriginal(ctx.openBody(), { ret: env.ret, size: mail.size });
        const failed = env.recipients.map((r) => ({ ...r, status: 'failed' as const, response: `550 5.7.1 Message declined by the spam filter (${hit.filter})` }));
        const dsn = buildDsn({
          hostname: d.hostname,
          sender: env.sender,
          recipients: env.recipients.map((r) => ({ address: r.address, orcpt: r.orcpt, action: 'failed', status: '5.7.1', reason: `declined by the spam filter (${hit.filter})` })),
          arrivalDate: mail.receivedAt,
          now: Date.now(),
          original,
          ret: env.ret,
          envid: env.envid,
          mailId: mail.id,
        });
        return { outcome: { kind: 'finish', state: 'bounced', reason: `declined: ${reason}` }, envelope: { ...envelope, recipients: failed }, generated: [dsn] };
      }
      case 'drop':
        ctx.log.warn(`dropped by the spam filter: ${reason}`, { mailId: mail.id, sender: env.sender });
        return { outcome: { kind: 'finish', state: 'deleted', reason: `dropped: ${reason}` }, envelope };
    }
    return { outcome: { kind: 'advance', note }, envelope };
  }
}

/** " (own list of a@x, b@x)" for a match of recipients' own lists. */
function ownedBy(m: ListMatch): string {
  return m.owners ? ` (own list of ${m.owners.join(', ')})` : '';
}

/** The header block of a mail's first bytes (all of them when no blank line is among them). */
function headerBlock(head: Buffer): string {
  const end = head.indexOf('\r\n\r\n');
  return head.subarray(0, end < 0 ? head.length : end + 4).toString('latin1');
}

function newKey(id: string): string {
  return `${id}.s${Date.now().toString(36)}`;
}
