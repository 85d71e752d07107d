// Queue state of the embedded default: one row per mail, moved between queues by single-row
// updates that write their tracking event in the same transaction (see write-batcher.ts).
import type Database from 'better-sqlite3';
import type { MailRecord, QueueName, StageName } from '../../core/mail.ts';
import {
  QueueConflict,
  type ClaimedMail,
  type Completion,
  type MailFilter,
  type NewMail,
  type QueueStore,
  type TrackingEvent,
  type TrackingEventInput,
} from '../store.ts';
import { domainsOf, FINAL_LIST, FINAL_SET, toRecord, toTrackingEvent, type MailRow, type TrackingEventRow } from '../rows/mail-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteQueueStore implements QueueStore {
  private readonly st;
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
    private readonly now: () => number = Date.now,
  ) {
    this.st = {
      insert: db.prepare(
        `INSERT INTO mails (id, queue, envelope, domains, body_key, size, received_at, queued_at, not_before)
         VALUES (@id, @queue, @envelope, @domains, @body_key, @size, @received_at, @queued_at, 0)`,
      ),
      event: db.prepare('INSERT INTO events (mail_id, at, queue, event, actor, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      claim: db.prepare(
        `UPDATE mails SET lease_owner = @owner, lease_until = @until
         WHERE id IN (SELECT id FROM mails WHERE queue = @queue AND not_before <= @now AND lease_until <= @now
                      ORDER BY not_before, id LIMIT @limit)
         RETURNING *`,
      ),
      get: db.prepare('SELECT * FROM mails WHERE id = ?'),
      release: db.prepare('UPDATE mails SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?'),
      events: db.prepare('SELECT * FROM events WHERE mail_id = ? ORDER BY id'),
      counts: db.prepare(
        `SELECT queue, COUNT(*) AS total, SUM(CASE WHEN not_before > ? THEN 1 ELSE 0 END) AS deferred FROM mails GROUP BY queue`,
      ),
      nextDue: db.prepare(
        `SELECT MIN(CASE WHEN lease_until > not_before THEN lease_until ELSE not_before END) AS due
         FROM mails WHERE queue = ? AND (not_before > ? OR lease_until > ?)`,
      ),
      live: db.prepare(`SELECT body_key FROM mails WHERE queue NOT IN (${FINAL_LIST})`),
      fetched: db.prepare('INSERT INTO pop3_uidls (mailbox, uidl, mail_id, fetched_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    };
  }

  private readonly cache = new Map<string, Database.Statement>();
  /** complete() builds its UPDATE from what changed; each shape is prepared once. */
  private statement(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) this.cache.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  private addEvent(id: string, queue: string, e: TrackingEventInput, at: number): void {
    this.st.event.run(id, at, queue, e.event, e.actor, e.detail ? JSON.stringify(e.detail) : null);
  }

  private insertNow(mails: NewMail[], at: number): void {
    for (const m of mails) {
      this.st.insert.run({
        id: m.id,
        queue: m.queue,
        envelope: JSON.stringify(m.envelope),
        domains: domainsOf(m.envelope),
        body_key: m.bodyKey,
        size: m.size,
        received_at: m.receivedAt,
        queued_at: at,
      });
      this.addEvent(m.id, m.eventQueue ?? m.queue, m.event, at);
      for (const t of m.trail ?? []) this.addEvent(m.id, t.queue, t.event, at);
      // Same savepoint as the mail row: a POP3 message becomes a mail exactly once (pop3-proxy).
      if (m.fetched && this.st.fetched.run(m.fetched.mailbox, m.fetched.uidl, m.id, at).changes === 0) {
        throw new QueueConflict(`POP3 message ${m.fetched.uidl} of mailbox ${m.fetched.mailbox} was fetched already`);
      }
    }
  }

  insert(mails: NewMail[]): Promise<void> {
    return this.writes.run(() => this.insertNow(mails, this.now()), true);
  }

  claim(stage: StageName, owner: string, limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    return this.writes.run(() => {
      const now = this.now();
      const rows = this.st.claim.all({ owner, until: now + leaseMs, queue: stage, now, limit }) as MailRow[];
      rows.sort((a, b) => a.not_before - b.not_before || (a.id < b.id ? -1 : 1));
      return rows.map((r) => ({ ...toRecord(r), leaseOwner: owner, leaseUntil: now + leaseMs }));
    });
  }

  complete(c: Completion): Promise<boolean> {
    return this.writes.run(() => {
      const now = this.now();
      const row = this.st.get.get(c.id) as MailRow | undefined;
      if (!row || row.lease_owner !== c.leaseOwner) return false;
      const moved = c.queue !== row.queue;
      const sets: string[] = ['queue = @queue', 'lease_owner = NULL', 'lease_until = 0', 'not_before = @not_before', 'attempts = @attempts', 'last_reason = @reason'];
      const p: Record<string, unknown> = {
        id: c.id,
        queue: c.queue,
        not_before: c.notBefore ?? 0,
        attempts: c.attempts ?? (moved ? 0 : row.attempts),
        reason: c.reason ?? null,
      };
      if (moved) {
        sets.push('queued_at = @queued_at');
        p.queued_at = now;
        if (c.queue === 'hold' || c.queue.startsWith('quarantine:') || c.queue === 'corrupt') {
          sets.push('held_from = @held_from');
          p.held_from = row.queue;
        }
      }
      if (c.envelope) {
        sets.push('envelope = @envelope', 'domains = @domains');
        p.envelope = JSON.stringify(c.envelope);
        p.domains = domainsOf(c.envelope);
      }
      if (c.bodyKey) {
        sets.push('body_key = @body_key');
        p.body_key = c.bodyKey;
      }
      if (c.delayNotified) sets.push('delay_notified = 1');
      this.statement(`UPDATE mails SET ${sets.join(', ')} WHERE id = @id`).run(p);
      this.addEvent(c.id, c.eventQueue ?? c.queue, c.event, now);
      for (const t of c.trail ?? []) this.addEvent(c.id, t.queue, t.event, now);
      if (c.generated?.length) this.insertNow(c.generated, now);
      return true;
    }, FINAL_SET.has(c.queue) || !!c.generated?.length);
  }

  release(id: string, owner: string): Promise<void> {
    return this.writes.run(() => {
      this.st.release.run(id, owner);
    });
  }

  move(
    id: string,
    to: QueueName,
    opts: { from?: QueueName[]; notBefore?: number; heldFrom?: QueueName | null; event: TrackingEventInput },
  ): Promise<MailRecord | null> {
    return this.writes.run(() => {
      const now = this.now();
      const row = this.st.get.get(id) as MailRow | undefined;
      if (!row) return null;
      if (row.lease_owner && row.lease_until > now) throw new QueueConflict(`mail ${id} is being processed by ${row.queue}`);
      if (opts.from && !opts.from.includes(row.queue as QueueName)) throw new QueueConflict(`mail ${id} is in ${row.queue}`);
      const heldFrom = opts.heldFrom === undefined ? row.held_from : opts.heldFrom;
      this.db
        .prepare(
          `UPDATE mails SET queue = ?, queued_at = ?, not_before = ?, held_from = ?, lease_owner = NULL, lease_until = 0,
           attempts = CASE WHEN queue = ? THEN attempts ELSE 0 END WHERE id = ?`,
        )
        .run(to, now, opts.notBefore ?? 0, heldFrom, to, id);
      this.addEvent(id, to, opts.event, now);
      return toRecord(this.st.get.get(id) as MailRow);
    }, true);
  }

  flush(domain?: string): Promise<number> {
    return this.writes.run(() => {
      const now = this.now();
      const sql = `UPDATE mails SET not_before = 0 WHERE queue = 'deliver' AND not_before > ? ${domain ? 'AND domains LIKE ?' : ''} RETURNING id`;
      const args: unknown[] = [now];
      if (domain) args.push(`% ${domain.toLowerCase().replace(/[%_]/g, '')} %`);
      const ids = this.db.prepare(sql).all(...args) as { id: string }[];
      for (const { id } of ids) this.addEvent(id, 'deliver', { event: 'flushed', actor: 'admin' }, now);
      return ids.length;
    });
  }

  async get(id: string): Promise<(MailRecord & { bodyKey: string }) | null> {
    const r = this.st.get.get(id) as MailRow | undefined;
    return r ? toRecord(r) : null;
  }

  async list(f: MailFilter): Promise<MailRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.queue) {
      where.push('queue = ?');
      args.push(f.queue);
    } else {
      where.push(`queue NOT IN (${FINAL_LIST})`);
    }
    if (f.deferred !== undefined) {
      where.push(f.deferred ? 'not_before > ?' : 'not_before <= ?');
      args.push(this.now());
    }
    if (f.domain) {
      where.push('domains LIKE ?');
      args.push(`% ${f.domain.toLowerCase().replace(/[%_]/g, '')} %`);
    }
    args.push(Math.min(f.limit ?? 100, 1000), f.offset ?? 0);
    const rows = this.db.prepare(`SELECT * FROM mails WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args) as MailRow[];
    return rows.map(toRecord);
  }

  async counts(): Promise<Record<string, { total: number; deferred: number }>> {
    const out: Record<string, { total: number; deferred: number }> = {};
    for (const r of this.st.counts.all(this.now()) as { queue: string; total: number; deferred: number }[]) {
      out[r.queue] = { total: r.total, deferred: r.deferred ?? 0 };
    }
    return out;
  }

  async events(id: string): Promise<TrackingEvent[]> {
    return (this.st.events.all(id) as TrackingEventRow[]).map(toTrackingEvent);
  }

  async nextDue(stage: StageName): Promise<number | null> {
    const now = this.now();
    const r = this.st.nextDue.get(stage, now, now) as { due: number | null };
    return r.due;
  }

  purgeFinal(olderThan: number): Promise<number> {
    return this.writes.run(() => {
      const ids = this.db.prepare(`DELETE FROM mails WHERE queue IN (${FINAL_LIST}) AND queued_at < ? RETURNING id`).all(olderThan) as { id: string }[];
      const del = this.db.prepare('DELETE FROM events WHERE mail_id = ?');
      for (const { id } of ids) del.run(id);
      return ids.length;
    });
  }

  async liveBodyKeys(): Promise<Set<string>> {
    return new Set((this.st.live.all() as { body_key: string }[]).map((r) => r.body_key));
  }

  /** Single-node start-up: every lease belongs to a process that no longer runs. */
  releaseAllLeases(): number {
    return this.db.prepare('UPDATE mails SET lease_owner = NULL, lease_until = 0 WHERE lease_owner IS NOT NULL').run().changes;
  }
}
