// What the deliver stage tells the flow engine after an attempt: finish (delivered / bounced)
// or defer with backoff, expiring mail past delivery.maxQueueTime, and the DSNs owed to the
// sender: failures of this attempt, and one delay notice after delivery.delayNotice.
import type { Envelope, GeneratedMail, Recipient, StageResult } from '../../core/mail.ts';
import type { ClaimedMail } from '../../store/store.ts';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log-manager/logger.ts';
import { backoff } from './backoff.ts';
import { buildDsn, type DsnRecipient } from './dsn.ts';
import type { DsnOriginal } from './original.ts';

/** What this attempt learnt about one recipient, beyond its status and response. */
export interface AttemptInfo {
  /** The response came from the remote server (otherwise it is ours: DNS, routing, connection). */
  remote: boolean;
  remoteMta?: string;
  /** Enhanced status to report instead of the one in the response (expiry: 4.4.7). */
  status?: string;
  /** The last response before expiry turned a deferral into a failure. */
  lastResponse?: string;
}

export interface DecideInput {
  mail: ClaimedMail;
  /** The updated envelope (statuses of this attempt applied). */
  envelope: Envelope;
  /** Recipients handled in this attempt. */
  attempted: Map<Recipient, AttemptInfo>;
  now: number;
  delivery: Config['delivery'];
  hostname: string;
  /** The engine is stopping: retry as soon as it runs again. */
  interrupted: boolean;
  original: () => Promise<DsnOriginal>;
  log: Logger;
}

export async function decideResult(i: DecideInput): Promise<StageResult> {
  const { mail, envelope, attempted, now, delivery } = i;
  const waiting = () => envelope.recipients.filter((r) => r.status === 'deferred' || r.status === 'pending');
  if (waiting().length && !i.interrupted && now - mail.receivedAt >= delivery.maxQueueTime) expire(waiting(), attempted);

  const failedNow = [...attempted.keys()].filter((r) => r.status === 'failed');
  const reports = failedNow.filter((r) => wants(r, 'FAILURE')).map((r) => report(r, attempted.get(r)!, 'failed', now));
  const deferred = waiting();
  let delayNotified: boolean | undefined;
  if (deferred.length && !mail.delayNotified && envelope.sender && now - mail.receivedAt >= delivery.delayNotice) {
    reports.push(...deferred.filter((r) => wants(r, 'DELAY')).map((r) => report(r, attempted.get(r) ?? { remote: false }, 'delayed', now)));
    delayNotified = true;
  }
  const generated = await notices(i, reports);
  const base = { envelope, ...(generated.length ? { generated } : {}), ...(delayNotified ? { delayNotified } : {}) };

  if (deferred.length) {
    const until = i.interrupted ? now : now + backoff(mail.attempts + 1, delivery);
    const reason = i.interrupted ? 'delivery interrupted, retried on restart' : `${deferred.length} recipient(s) deferred: ${deferred[0].response ?? ''}`.trim();
    return { ...base, outcome: { kind: 'defer', until, reason } };
  }
  const delivered = envelope.recipients.filter((r) => r.status === 'delivered').length;
  const failed = envelope.recipients.filter((r) => r.status === 'failed').length;
  if (!failed) return { ...base, outcome: { kind: 'finish', state: 'delivered', reason: `delivered to ${delivered} recipient(s)` } };
  if (!delivered) return { ...base, outcome: { kind: 'finish', state: 'bounced', reason: `all ${failed} recipient(s) failed: ${failedNow[0]?.response ?? ''}`.trim() } };
  return { ...base, outcome: { kind: 'finish', state: 'delivered', reason: `partial failure: delivered to ${delivered}, failed ${failed} recipient(s)` } };
}

/** Deferred recipients past maxQueueTime fail with 4.4.7 (RFC 3463: delivery time expired). */
function expire(recipients: Recipient[], attempted: Map<Recipient, AttemptInfo>): void {
  for (const r of recipients) {
    const info = attempted.get(r) ?? { remote: false };
    attempted.set(r, { ...info, status: '4.4.7', lastResponse: r.response });
    r.response = `4.4.7 delivery time expired${r.response ? `; last response: ${r.response}` : ''}`;
    r.status = 'failed';
  }
}

/** RFC 3461 NOTIFY: without it failures and delays are reported; NEVER silences everything. */
function wants(r: Recipient, what: 'FAILURE' | 'DELAY'): boolean {
  if (!r.notify?.length) return true;
  return r.notify.map((n) => n.toUpperCase()).includes(what);
}

function report(r: Recipient, info: AttemptInfo, action: 'failed' | 'delayed', now: number): DsnRecipient {
  const response = info.lastResponse ?? r.response ?? '';
  const out: DsnRecipient = { address: r.address, action, status: info.status ?? enhancedStatus(response, action), lastAttempt: now };
  if (r.orcpt) out.orcpt = r.orcpt;
  if (info.status === '4.4.7') out.reason = 'delivery time expired';
  if (info.remote && response) {
    out.diagnostic = response;
    if (info.remoteMta) out.remoteMta = info.remoteMta;
  } else if (response) out.reason = out.reason ? `${out.reason}; last error: ${response}` : response;
  return out;
}

/** The enhanced code of a reply ("550 5.1.1 ..."), else one made from its class. */
export function enhancedStatus(response: string, action: 'failed' | 'delayed'): string {
  const m = /^(?:(\d)\d\d[ -])?\s*([245]\.\d{1,3}\.\d{1,3})\b/.exec(response);
  if (m?.[2]) return m[2];
  const code = /^([245])\d\d\b/.exec(response)?.[1];
  return code && code !== '2' ? `${code}.0.0` : action === 'failed' ? '5.0.0' : '4.0.0';
}

async function notices(i: DecideInput, reports: DsnRecipient[]): Promise<GeneratedMail[]> {
  if (!reports.length) return [];
  if (!i.envelope.sender) {
    i.log.info('no DSN: the mail has the null sender', { mailId: i.mail.id, recipients: reports.map((r) => r.address) });
    return [];
  }
  let original: DsnOriginal;
  try {
    original = await i.original();
  } catch (err) {
    // The recipients' new states must still be recorded; a DSN without the original is better than none.
    i.log.warn('could not read the original for its DSN; sending the report without it', { mailId: i.mail.id, err: err as Error });
    original = { content: Buffer.alloc(0), headersOnly: true };
  }
  const dsn = buildDsn({
    hostname: i.hostname,
    sender: i.envelope.sender,
    recipients: reports,
    arrivalDate: i.mail.receivedAt,
    now: i.now,
    original,
    ret: i.envelope.ret,
    envid: i.envelope.envid,
    mailId: i.mail.id,
    retryUntil: i.mail.receivedAt + i.delivery.maxQueueTime,
  });
  i.log.info(reports.some((r) => r.action === 'failed') ? 'bounce (DSN) created' : 'delay notice (DSN) created', {
    mailId: i.mail.id,
    to: i.envelope.sender,
    recipients: reports.map((r) => `${r.address}: ${r.action} ${r.status}`),
  });
  return [dsn];
}
