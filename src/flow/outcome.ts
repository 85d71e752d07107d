// Turns a stage's result into the queue move the store carries out atomically.
import { nextStage, type StageName, type StageResult, type QueueName } from '../core/mail.ts';
import type { ClaimedMail, Completion, NewMail } from '../store/store.ts';

export function completionFor(stage: StageName, mail: ClaimedMail, r: StageResult, actor: string, generated: NewMail[]): Completion {
  const o = r.outcome;
  let queue: QueueName;
  let event: string;
  let notBefore: number | undefined;
  let attempts: number | undefined;
  let reason: string | null = null;
  switch (o.kind) {
    case 'advance':
      queue = nextStage(stage) ?? 'delivered';
      event = queue === 'delivered' ? 'delivered' : 'advanced';
      reason = o.note ?? null;
      break;
    case 'hold':
      queue = o.queue;
      event = 'held';
      reason = o.reason;
      break;
    case 'defer':
      queue = stage;
      event = 'deferred';
      notBefore = o.until;
      attempts = mail.attempts + 1;
      reason = o.reason;
      break;
    case 'finish':
      queue = o.state;
      event = o.state;
      reason = o.reason;
      break;
  }
  const detail: Record<string, unknown> = { from: stage };
  if (reason) detail.reason = reason;
  if (notBefore) detail.until = new Date(notBefore).toISOString();
  if (generated.length) detail.generated = generated.map((g) => g.id);
  if (r.envelope && o.kind !== 'advance') {
    detail.recipients = r.envelope.recipients.map((x) => ({ address: x.address, status: x.status, response: x.response }));
  }
  return {
    id: mail.id,
    leaseOwner: mail.leaseOwner,
    queue,
    notBefore,
    attempts,
    envelope: r.envelope,
    bodyKey: r.bodyKey,
    reason,
    delayNotified: r.delayNotified,
    event: { event, actor, detail },
    generated,
  };
}
