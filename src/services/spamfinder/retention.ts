// Retention per quarantine: mail held longer than its quarantine's retention time is deleted
// (final state "deleted", tracking kept, body removed).
import type { HoldingQueue } from '../../core/mail.ts';
import { QueueConflict, type Store } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';

export type Retention = Partial<Record<HoldingQueue, number>>;

const ROUND = 500;

/** Deletes quarantined mail older than its retention at `now`; returns how many went. */
export async function purgeExpired(store: Store, retention: Retention, now: number, log?: Logger): Promise<number> {
  let purged = 0;
  for (const [queue, keepMs] of Object.entries(retention) as [HoldingQueue, number][]) {
    if (!keepMs) continue;
    // The listing is newest first: page through the whole quarantine, then delete.
    const expired: string[] = [];
    for (let offset = 0; ; offset += ROUND) {
      const page = await store.queue.list({ queue, limit: ROUND, offset });
      for (const m of page) if (m.queuedAt + keepMs <= now) expired.push(m.id);
      if (page.length < ROUND) break;
    }
    for (const id of expired) {
      try {
        const r = await store.queue.move(id, 'deleted', { from: [queue], event: { event: 'deleted', actor: 'spamfinder', detail: { from: queue, reason: 'retention' } } });
        const full = r ? await store.queue.get(id) : null;
        if (full) await store.bodies.remove(full.bodyKey).catch(() => undefined);
        purged++;
      } catch (err) {
        if (!(err instanceof QueueConflict)) throw err; // moved meanwhile by an admin: leave it
      }
    }
  }
  if (purged) log?.info(`deleted ${purged} quarantined mail(s) past their retention`);
  return purged;
}
