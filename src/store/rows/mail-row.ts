// The `mails` and `events` row shapes both backends share (sqlite/ and postgres/ queue-store.ts),
// their mappings to MailRecord and TrackingEvent, and the derived column/final-state helpers.
import type { Envelope, MailRecord, QueueName } from '../../core/mail.ts';
import type { TrackingEvent } from '../store.ts';
import { FINAL_STATES } from '../../core/mail.ts';

export interface MailRow {
  id: string;
  queue: string;
  envelope: string;
  body_key: string;
  size: number;
  received_at: number;
  queued_at: number;
  not_before: number;
  attempts: number;
  lease_owner: string | null;
  lease_until: number;
  held_from: string | null;
  last_reason: string | null;
  delay_notified: number;
}

export function toRecord(r: MailRow): MailRecord & { bodyKey: string } {
  return {
    id: r.id,
    queue: r.queue as QueueName,
    envelope: JSON.parse(r.envelope) as Envelope,
    bodyKey: r.body_key,
    size: r.size,
    receivedAt: r.received_at,
    queuedAt: r.queued_at,
    notBefore: r.not_before,
    attempts: r.attempts,
    heldFrom: (r.held_from as QueueName) ?? null,
    lastReason: r.last_reason,
    delayNotified: r.delay_notified === 1,
  };
}

export interface TrackingEventRow {
  mail_id: string;
  at: number;
  queue: string;
  event: string;
  actor: string;
  detail: string | null;
}

export const toTrackingEvent = (r: TrackingEventRow): TrackingEvent => ({
  mailId: r.mail_id,
  at: r.at,
  queue: r.queue as QueueName,
  event: r.event,
  actor: r.actor,
  detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : undefined,
});

/** The `domains` column: the recipients' domains, lower-cased, space-separated and space-framed. */
export function domainsOf(env: Envelope): string {
  const set = new Set(env.recipients.map((r) => r.address.slice(r.address.lastIndexOf('@') + 1).toLowerCase()));
  return ` ${[...set].join(' ')} `;
}

export const FINAL_SET = new Set<string>(FINAL_STATES);
export const FINAL_LIST = FINAL_STATES.map((s) => `'${s}'`).join(',');
