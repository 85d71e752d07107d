// Queue state of a cluster on PostgreSQL, shared by every node: the same rows and promises as
// the SQLite queue (sqlite/queue-store.ts). Claims lock with FOR UPDATE SKIP LOCKED, so two
// nodes never lease one mail; a lease expires and is then claimable by any node; a completion
// applies only while its owner still holds the lease. Every change that makes mail ready in a
// stage sends a NOTIFY so other nodes wake at once (queue-watch.ts): inside unsynced statements
// (delivered at their COMMIT), right after the commit of synced ones (see announceAfter).
// Moves between stages, claims and releases commit unsynced (like SQLite's unsynced commits);
// new mail, final states and completions that create mail wait for the WAL flush.
// There is deliberately no releaseAllLeases(): other nodes hold leases; dead ones just expire.
// Times (leases, notBefore) come from the node's clock, as on SQLite: nodes keep their clocks in
// step (NTP); a skew of s seconds lets a lease be taken over s seconds early or late.
import type pg from 'pg';
import type { MailRecord, QueueName, StageName } from '../../core/mail.ts';
import { isStage } from '../../core/mail.ts';
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
import type { PgDatabase, Sql } from './database.ts';
import { QUEUE_CHANNEL, type QueueWatch } from './queue-watch.ts';

const HELD = (q: string) => q === 'hold' || q.startsWith('quarantine:') || q === 'corrupt';

/**
 * A CTE that makes the statement's own transaction commit without waiting for the WAL flush
 * (set_config(…, true) is SET LOCAL; the setting is read at commit): one round trip instead of
 * BEGIN / SET LOCAL / statement / COMMIT. The statement must read `unsynced` to run it.
 */
const UNSYNCED = `unsynced AS (SELECT set_config('synchronous_commit', 'off', true) AS v)`;
const NOT_UNSYNCED = `unsynced AS (SELECT 'on' AS v)`;

type EventRow = [mailId: string, queue: string, e: TrackingEventInput];

export class PgQueueStore implements QueueStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly watcher: QueueWatch,
    private readonly now: () => number = Date.now,
  ) {}

  /** Events in one statement, in the order given (their ids keep that order). */
  private async addEvents(c: Sql, rows: EventRow[], at: number): Promise<void> {
    if (!rows.length) return;
    await c.query(
      `INSERT INTO events (mail_id, at, queue, event, actor, detail)
       SELECT m, $5, q, e, a, d FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[]) AS t(m, q, e, a, d)`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2].event), rows.map((r) => r[2].actor), at, rows.map((r) => (r[2].detail ? JSON.stringify(r[2].detail) : null))],
    );
  }

  /**
   * Announces stage queues to the other nodes, after the change committed. Not inside a synced
   * transaction: PostgreSQL serialises the commits of transactions that NOTIFY (a cluster-wide
   * lock held through the WAL flush), which would undo group commit for every new mail. A
   * notification lost here (node crash) only leaves the others to their timers; the data is safe.
   */
  private announceAfter(queues: Iterable<string>): void {
    const list = [...new Set(queues)].filter(isStage);
    if (!list.length) return;
    this.db.query(`SELECT pg_notify('${QUEUE_CHANNEL}', $1 || ' ' || q) FROM unnest($2::text[]) AS q`, [this.watcher.tag, list]).catch(() => {});
  }

  /**
   * The mail rows and their tracking events as one statement (two data-modifying CTEs): atomic
   * on its own, so a plain insert is one round trip and one synced commit.
   */
  private async insertRows(run: (text: string, values: unknown[]) => Promise<pg.QueryResult>, mails: NewMail[], at: number): Promise<void> {
    const events: EventRow[] = [];
    for (const m of mails) {
      events.push([m.id, m.eventQueue ?? m.queue, m.event]);
      for (const t of m.trail ?? []) events.push([m.id, t.queue, t.event]);
    }
    await run(
      `WITH m AS (
         INSERT INTO mails (id, queue, envelope, domains, body_key, size, received_at, queued_at, not_before)
         SELECT id, q, env, dom, bk, sz, ra, $8, 0 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS t(id, q, env, dom, bk, sz, ra)),
       e AS (
         INSERT INTO events (mail_id, at, queue, event, actor, detail)
         SELECT mid, $8, q, ev, a, d FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[]) AS t(mid, q, ev, a, d))
       SELECT 1`,
      [
        mails.map((m) => m.id),
        mails.map((m) => m.queue),
        mails.map((m) => JSON.stringify(m.envelope)),
        mails.map((m) => domainsOf(m.envelope)),
        mails.map((m) => m.bodyKey),
        mails.map((m) => m.size),
        mails.map((m) => m.receivedAt),
        at,
        events.map((e) => e[0]),
        events.map((e) => e[1]),
        events.map((e) => e[2].event),
        events.map((e) => e[2].actor),
        events.map((e) => (e[2].detail ? JSON.stringify(e[2].detail) : null)),
      ],
    );
  }

  private async insertMails(c: pg.PoolClient, mails: NewMail[], at: number): Promise<void> {
    if (!mails.length) return;
    await this.insertRows((t, v) => c.query(t, v), mails, at);
    // Same transaction as the mail rows: a POP3 message becomes a mail exactly once (pop3-proxy).
    const fetched = mails.filter((m) => m.fetched);
    if (fetched.length) {
      const r = await c.query<{ uidl: string }>(
        `INSERT INTO pop3_uidls (mailbox, uidl, mail_id, fetched_at)
         SELECT b, u, m, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(b, u, m) ON CONFLICT DO NOTHING RETURNING uidl`,
        [fetched.map((m) => m.fetched!.mailbox), fetched.map((m) => m.fetched!.uidl), fetched.map((m) => m.id), at],
      );
      if (r.rowCount !== fetched.length) {
        const took = new Set(r.rows.map((x) => x.uidl));
        const dup = fetched.find((m) => !took.has(m.fetched!.uidl)) ?? fetched[0];
        throw new QueueConflict(`POP3 message ${dup.fetched!.uidl} of mailbox ${dup.fetched!.mailbox} was fetched already`);
      }
    }
  }

  async insert(mails: NewMail[]): Promise<void> {
    if (!mails.length) return;
    if (mails.some((m) => m.fetched)) await this.db.tx((c) => this.insertMails(c, mails, this.now()));
    else await this.insertRows((t, v) => this.db.query(t, v), mails, this.now());
    this.announceAfter(mails.map((m) => m.queue));
  }

  async claim(stage: StageName, owner: string, limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    const now = this.now();
    const until = now + leaseMs;
    // One statement, its own transaction. SKIP LOCKED passes over rows another node is claiming
    // right now; a row whose claim committed meanwhile is re-checked against the WHERE clause and
    // left out, so no mail is leased twice. Unsynced: a claim lost with the server is only a
    // lease that never was.
    const r = await this.db.query<MailRow>(
      `WITH ${UNSYNCED},
       ready AS (SELECT id FROM mails WHERE queue = $3 AND not_before <= $4 AND lease_until <= $4
                 ORDER BY not_before, id LIMIT $5 FOR UPDATE SKIP LOCKED)
       UPDATE mails m SET lease_owner = $1, lease_until = $2
       FROM ready, unsynced
       WHERE m.id = ready.id
       RETURNING m.*`,
      [owner, until, stage, now, limit],
    );
    const rows = r.rows.sort((a, b) => a.not_before - b.not_before || (a.id < b.id ? -1 : 1));
    return rows.map((row) => ({ ...toRecord(row), leaseOwner: owner, leaseUntil: until }));
  }

  async complete(c: Completion): Promise<boolean> {
    // A move between stages may be lost with the server's last few hundred ms (the mail is then
    // found one stage earlier and processed again), like SQLite's unsynced commits. WAL order
    // keeps that safe: a later synced commit makes every earlier one durable too. Final states
    // and completions that create mail are synced.
    if (!c.generated?.length) return this.applyCompletion((t, v) => this.db.query(t, v), c, this.now(), !FINAL_SET.has(c.queue), true);
    const done = await this.db.tx(async (client) => {
      const now = this.now();
      if (!(await this.applyCompletion((t, v) => client.query(t, v), c, now, false, false))) return false;
      await this.insertMails(client, c.generated!, now);
      return true;
    });
    if (done) this.announceAfter([...c.generated.map((m) => m.queue), ...(!c.notBefore || c.notBefore <= this.now() ? [c.queue] : [])]);
    return done;
  }

  /**
   * One statement: the lease-checked update (its expressions read the row as it was, with its
   * old queue), the tracking events and the wake-up, each only when the update hit.
   */
  private async applyCompletion(run: (text: string, values: unknown[]) => Promise<pg.QueryResult>, c: Completion, now: number, unsynced: boolean, announce: boolean): Promise<boolean> {
    const events: EventRow[] = [[c.id, c.eventQueue ?? c.queue, c.event]];
    for (const t of c.trail ?? []) events.push([c.id, t.queue, t.event]);
    // NOTIFY inside the statement: only a move into a stage wakes anyone, and that commit is
    // unsynced (only final states are synced here), so the NOTIFY lock is held briefly.
    const ready = announce && isStage(c.queue) && (!c.notBefore || c.notBefore <= now);
    const r = await run(
      `WITH ${unsynced ? UNSYNCED : NOT_UNSYNCED},
       u AS (
         UPDATE mails SET
           queued_at = CASE WHEN queue <> $2 THEN $3 ELSE queued_at END,
           held_from = CASE WHEN queue <> $2 AND $4 THEN queue ELSE held_from END,
           attempts = COALESCE($5, CASE WHEN queue <> $2 THEN 0 ELSE attempts END),
           queue = $2, lease_owner = NULL, lease_until = 0, not_before = $6, last_reason = $7,
           envelope = COALESCE($8, envelope), domains = COALESCE($9, domains), body_key = COALESCE($10, body_key),
           delay_notified = CASE WHEN $11 THEN 1 ELSE delay_notified END
         WHERE id = $1 AND lease_owner = $12
         RETURNING id),
       ev AS (
         INSERT INTO events (mail_id, at, queue, event, actor, detail)
         SELECT $1, $3, q, e, a, d FROM unnest($13::text[], $14::text[], $15::text[], $16::text[]) AS t(q, e, a, d)
         WHERE EXISTS (SELECT 1 FROM u)),
       n AS (SELECT pg_notify('${QUEUE_CHANNEL}', $17 || ' ' || $2) FROM u WHERE $18)
       SELECT (SELECT count(*) FROM u) AS updated, (SELECT count(*) FROM n) AS notified, (SELECT count(*) FROM unsynced) AS unsynced`,
      [
        c.id,
        c.queue,
        now,
        HELD(c.queue),
        c.attempts ?? null,
        c.notBefore ?? 0,
        c.reason ?? null,
        c.envelope ? JSON.stringify(c.envelope) : null,
        c.envelope ? domainsOf(c.envelope) : null,
        c.bodyKey ?? null,
        !!c.delayNotified,
        c.leaseOwner,
        events.map((e) => e[1]),
        events.map((e) => e[2].event),
        events.map((e) => e[2].actor),
        events.map((e) => (e[2].detail ? JSON.stringify(e[2].detail) : null)),
        this.watcher.tag,
        ready,
      ],
    );
    return Number(r.rows[0].updated) === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    // Unsynced: a release lost with the server leaves a lease that expires.
    await this.db.query(
      `WITH ${UNSYNCED},
       r AS (UPDATE mails SET lease_owner = NULL, lease_until = 0 WHERE id = $1 AND lease_owner = $2 RETURNING queue)
       SELECT pg_notify('${QUEUE_CHANNEL}', $3 || ' ' || queue), (SELECT count(*) FROM unsynced) FROM r`,
      [id, owner, this.watcher.tag],
    );
  }

  async move(
    id: string,
    to: QueueName,
    opts: { from?: QueueName[]; notBefore?: number; heldFrom?: QueueName | null; event: TrackingEventInput },
  ): Promise<MailRecord | null> {
    const record = await this.db.tx(async (c) => {
      const now = this.now();
      const row = (await c.query<MailRow>('SELECT * FROM mails WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!row) return null;
      if (row.lease_owner && row.lease_until > now) throw new QueueConflict(`mail ${id} is being processed by ${row.queue}`);
      if (opts.from && !opts.from.includes(row.queue as QueueName)) throw new QueueConflict(`mail ${id} is in ${row.queue}`);
      const heldFrom = opts.heldFrom === undefined ? row.held_from : opts.heldFrom;
      const moved = await c.query<MailRow>(
        `UPDATE mails SET queue = $1, queued_at = $2, not_before = $3, held_from = $4, lease_owner = NULL, lease_until = 0,
         attempts = CASE WHEN queue = $1 THEN attempts ELSE 0 END WHERE id = $5 RETURNING *`,
        [to, now, opts.notBefore ?? 0, heldFrom, id],
      );
      await this.addEvents(c, [[id, to, opts.event]], now);
      return toRecord(moved.rows[0]);
    });
    if (record) this.announceAfter([to]);
    return record;
  }

  async flush(domain?: string): Promise<number> {
    const n = await this.db.tx(async (c) => {
      const now = this.now();
      const args: unknown[] = [now];
      if (domain) args.push(`% ${domain.toLowerCase().replace(/[%_]/g, '')} %`);
      const r = await c.query<{ id: string }>(
        `UPDATE mails SET not_before = 0 WHERE queue = 'deliver' AND not_before > $1 ${domain ? 'AND domains LIKE $2' : ''} RETURNING id`,
        args,
      );
      const ids = r.rows.map((x) => x.id).sort();
      await this.addEvents(c, ids.map((id): EventRow => [id, 'deliver', { event: 'flushed', actor: 'admin' }]), now);
      return ids.length;
    });
    if (n) this.announceAfter(['deliver']);
    return n;
  }

  async get(id: string): Promise<(MailRecord & { bodyKey: string }) | null> {
    const r = await this.db.query<MailRow>('SELECT * FROM mails WHERE id = $1', [id]);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  }

  async list(f: MailFilter): Promise<MailRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => (args.push(v), `$${args.length}`);
    if (f.queue) where.push(`queue = ${arg(f.queue)}`);
    else where.push(`queue NOT IN (${FINAL_LIST})`);
    if (f.deferred !== undefined) where.push(`not_before ${f.deferred ? '>' : '<='} ${arg(this.now())}`);
    if (f.domain) where.push(`domains LIKE ${arg(`% ${f.domain.toLowerCase().replace(/[%_]/g, '')} %`)}`);
    const limit = arg(Math.min(f.limit ?? 100, 1000));
    const offset = arg(f.offset ?? 0);
    const r = await this.db.query<MailRow>(`SELECT * FROM mails WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit} OFFSET ${offset}`, args);
    return r.rows.map(toRecord);
  }

  async counts(): Promise<Record<string, { total: number; deferred: number }>> {
    const r = await this.db.query<{ queue: string; total: number; deferred: number }>(
      'SELECT queue, COUNT(*) AS total, SUM(CASE WHEN not_before > $1 THEN 1 ELSE 0 END) AS deferred FROM mails GROUP BY queue',
      [this.now()],
    );
    const out: Record<string, { total: number; deferred: number }> = {};
    for (const row of r.rows) out[row.queue] = { total: Number(row.total), deferred: Number(row.deferred ?? 0) };
    return out;
  }

  async events(id: string): Promise<TrackingEvent[]> {
    const r = await this.db.query<TrackingEventRow>('SELECT * FROM events WHERE mail_id = $1 ORDER BY id', [id]);
    return r.rows.map(toTrackingEvent);
  }

  async nextDue(stage: StageName): Promise<number | null> {
    const now = this.now();
    const r = await this.db.query<{ due: number | null }>(
      `SELECT MIN(GREATEST(lease_until, not_before)) AS due FROM mails WHERE queue = $1 AND (not_before > $2 OR lease_until > $2)`,
      [stage, now],
    );
    return r.rows[0]?.due ?? null;
  }

  purgeFinal(olderThan: number): Promise<number> {
    return this.db
      .query<{ n: number }>(
        `WITH gone AS (DELETE FROM mails WHERE queue IN (${FINAL_LIST}) AND queued_at < $1 RETURNING id),
              ev AS (DELETE FROM events WHERE mail_id IN (SELECT id FROM gone))
         SELECT COUNT(*) AS n FROM gone`,
        [olderThan],
      )
      .then((r) => Number(r.rows[0].n));
  }

  async liveBodyKeys(): Promise<Set<string>> {
    const r = await this.db.query<{ body_key: string }>(`SELECT body_key FROM mails WHERE queue NOT IN (${FINAL_LIST})`);
    return new Set(r.rows.map((x) => x.body_key));
  }

  /**
   * Calls `listener` when another node made mail ready in a queue (see QueueStore.watch). The
   * node's own changes are not echoed: its flow engine wakes its runners itself.
   */
  watch(listener: (queue: QueueName) => void): () => void {
    return this.watcher.add(listener);
  }

  /** Ends the LISTEN connection (the store closes). */
  close(): Promise<void> {
    return this.watcher.close();
  }
}
