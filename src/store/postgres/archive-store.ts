// The archive (mail-depot) on PostgreSQL, shared by every node (mirrors sqlite/archive-store.ts;
// blobs in archive-blobs.ts, full text in archive-fts.ts). archive() is one transaction: the
// message (deduplicated by the UNIQUE content hash: two nodes with the same mail make one
// message, two arrivals), blob, index row and chain entry, appended under a cluster-wide lock.
import type pg from 'pg';
import { Readable } from 'node:stream';
import {
  ArchiveBodyGoneError,
  StorageError,
  type ArchiveBodyPart,
  type ArchiveBlobWriter,
  type ArchiveDeletion,
  type ArchivedMessage,
  type ArchiveEntry,
  type ArchiveHold,
  type ArchiveSearch,
  type ArchiveStore,
  type NewArchivedMessage,
  type StoredLink,
} from '../store.ts';
import type { PgDatabase } from './database.ts';
import { LOCK, lockChain } from './chain-lock.ts';
import { PgArchiveBlobs, type PgArchiveBlobOptions } from './archive-blobs.ts';
import { ftsCondition, ftsRow } from './archive-fts.ts';
import { toDeletion, toEntry, toHold, toMessage, type DeletionRow, type EntryRow, type HoldRow, type MessageRow, type BodyRow } from '../rows/archive-rows.ts';

/** Arrivals per group-commit transaction at most. */
const MAX_BATCH = 64;
/** Group-commit transactions of this node at once: one fills its messages while another holds the chain. */
const BATCHES_IN_FLIGHT = 2;

interface ArchiveJob {
  a: {
    message: NewArchivedMessage;
    entry: (last: { seq: number; hash: string } | null, archiveId: string) => ArchiveEntry;
  };
  /** The index row's vectors, made before the transaction (CPU work outside the locks). */
  vectors: string[];
  resolve(r: { entry: ArchiveEntry; deduplicated: boolean }): void;
  reject(err: unknown): void;
}

export interface PgArchiveOptions extends PgArchiveBlobOptions {
  now?: () => number;
  /** Arrivals per group-commit transaction at most (default 64; 1 = one transaction each). */
  maxBatch?: number;
}

export class PgArchiveStore implements ArchiveStore {
  private readonly now: () => number;
  private readonly maxBatch: number;
  private readonly blobs: PgArchiveBlobs;
  /** Arrivals waiting for the next group-commit transaction. */
  private readonly pending: ArchiveJob[] = [];
  private draining = 0;

  constructor(
    private readonly db: PgDatabase,
    opts: PgArchiveOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.maxBatch = opts.maxBatch ?? MAX_BATCH;
    this.blobs = new PgArchiveBlobs(db, opts);
  }

  async createBlob(): Promise<ArchiveBlobWriter> {
    return this.blobs.create();
  }

  async openBlob(archiveId: string): Promise<Readable> {
    const m = (await this.db.query<{ pos: number; blob_file: string | null }>('SELECT pos, blob_file FROM archive_messages WHERE id = $1', [archiveId])).rows[0];
    if (!m) throw new StorageError(`no archived message ${archiveId}`);
    return this.blobs.open(archiveId, Number(m.pos), m.blob_file);
  }

  async openBody(archiveId: string): Promise<ArchiveBodyPart | null> {
    const m = (await this.db.query<{ body_pos: number | null }>('SELECT body_pos FROM archive_messages WHERE id = $1', [archiveId])).rows[0];
    if (!m) throw new StorageError(`no archived message ${archiveId}`);
    if (m.body_pos === null) return null;
    const b = (await this.db.query<BodyRow>('SELECT * FROM archive_bodies WHERE pos = $1', [m.body_pos])).rows[0];
    if (!b) throw new StorageError(`the stored body of archived message ${archiveId} is missing`);
    return { hash: b.body_hash, size: Number(b.size), compression: b.compression, keyId: b.key_id, blob: Readable.from([b.data], { objectMode: false }), dict: b.dict };
  }

  async findBody(hash: string): Promise<{ dict: Buffer | null } | null> {
    return (await this.db.query<{ dict: Buffer | null }>('SELECT dict FROM archive_bodies WHERE body_hash = $1', [hash])).rows[0] ?? null;
  }

  /**
   * The pos of the body part `b`, inserted unless stored. The row is locked (KEY SHARE) until the
   * commit, so remove() cannot delete it between here and the message that names it.
   */
  private async storeBody(c: pg.PoolClient, b: NonNullable<NewArchivedMessage['body']>): Promise<number> {
    for (;;) {
      const got = (await c.query<{ pos: number }>('SELECT pos FROM archive_bodies WHERE body_hash = $1 FOR KEY SHARE', [b.hash])).rows[0];
      if (got && b.blob) throw new ArchiveBodyGoneError(b.hash, 'ARCHIVE_BODY_STORED');
      if (got) return Number(got.pos);
      if (!b.blob) throw new ArchiveBodyGoneError(b.hash);
      const ins = await c.query<{ pos: number }>(
        `INSERT INTO archive_bodies (body_hash, size, stored_size, compression, key_id, data, dict) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (body_hash) DO NOTHING RETURNING pos`,
        [b.hash, b.size, b.storedSize, b.compression, b.keyId, b.blob.inline, b.dict ?? null],
      );
      if (ins.rows[0]) return Number(ins.rows[0].pos);
      // Another transaction stored it just now: lock and use that one.
    }
  }

  /**
   * Group commit: arrivals that come while a transaction is running go together in the next
   * one, so the chain lock and the COMMIT's WAL flush are paid once per batch, not per mail
   * (the chain is one writer at a time across the cluster). A batch that fails is retried mail
   * by mail, so one bad arrival never fails the others.
   */
  archive(a: ArchiveJob['a']): Promise<{ entry: ArchiveEntry; deduplicated: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ a, vectors: ftsRow(a.message.index), resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.draining >= BATCHES_IN_FLIGHT) return;
    this.draining++;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          const results = await this.archiveBatch(batch);
          await Promise.all(batch.map((j, i) => this.settle(j, results[i], null)));
        } catch (err) {
          if (batch.length === 1 || !oneArrivalsFault(err)) await Promise.all(batch.map((j) => this.settle(j, null, err)));
          else {
            for (const j of batch) {
              let r: { entry: ArchiveEntry; deduplicated: boolean } | null = null;
              let e: unknown = null;
              try {
                r = (await this.archiveBatch([j]))[0];
              } catch (x) {
                e = x;
              }
              await this.settle(j, r, e);
            }
          }
        }
      }
    } finally {
      this.draining--;
    }
  }

  /** Resolves or rejects one arrival, dropping its chunked blob when it is not (or no longer) needed. */
  private async settle(j: ArchiveJob, r: { entry: ArchiveEntry; deduplicated: boolean } | null, err: unknown): Promise<void> {
    const blob = j.a.message.blob;
    const key = 'file' in blob ? blob.file : null;
    if (key !== null) {
      // Before resolving, as SQLite removes the file first: the caller sees the blob gone.
      if (!r || r.deduplicated) await this.blobs.drop(key).catch(() => undefined);
      else this.blobs.archived(key);
    }
    if (r) j.resolve(r);
    else j.reject(err);
  }

  /** One transaction: every message (in content-hash order: no deadlock between nodes), then the chain links in arrival order. */
  private archiveBatch(batch: ArchiveJob[]): Promise<{ entry: ArchiveEntry; deduplicated: boolean }[]> {
    return this.db.tx(async (c) => {
      const stored = new Map<ArchiveJob, { archiveId: string; pos: number; deduplicated: boolean }>();
      const byHash = [...batch].sort((x, y) => (x.a.message.contentHash < y.a.message.contentHash ? -1 : x.a.message.contentHash > y.a.message.contentHash ? 1 : 0));
      for (const j of byHash) {
        const m = j.a.message;
        stored.set(j, await this.storeMessage(c, m, 'file' in m.blob ? m.blob.file : null, j.vectors));
      }
      // The chain lock is taken last and held only for the read, one insert and COMMIT.
      await lockChain(c, LOCK.archiveEntries);
      const row = (await c.query<{ seq: number; hash: string }>('SELECT seq, hash FROM archive_entries ORDER BY seq DESC LIMIT 1')).rows[0];
      let last = row ? { seq: Number(row.seq), hash: row.hash } : null;
      const out: { entry: ArchiveEntry; deduplicated: boolean }[] = [];
      const values: unknown[] = [];
      const tuples: string[] = [];
      const who = new Set<string>();
      for (const j of batch) {
        const s = stored.get(j)!;
        const e = j.a.entry(last, s.archiveId);
        last = { seq: e.seq, hash: e.hash };
        out.push({ entry: e, deduplicated: s.deduplicated });
        // Header addresses come with the stored message, envelope ones with every arrival.
        for (const x of [...(s.deduplicated ? [] : j.a.message.addresses), e.sender, ...e.recipients]) if (x) who.add(`${x.toLowerCase()}\n${s.pos}`);
        const row = [e.seq, e.at, e.archiveId, e.contentHash, e.mailId, e.receivedAt, e.direction, e.source, e.sender, JSON.stringify(e.recipients), e.clientIp, e.trace, e.prevHash, e.hash];
        tuples.push(`(${row.map((_, k) => `$${values.length + k + 1}`).join(', ')})`);
        values.push(...row);
      }
      await c.query(
        `INSERT INTO archive_entries (seq, at, archive_id, content_hash, mail_id, received_at, direction, source, sender, recipients,
           client_ip, trace, prev_hash, hash) VALUES ${tuples.join(', ')}`,
        values,
      );
      const pairs = [...who].sort().map((k) => k.split('\n'));
      await c.query(
        'INSERT INTO archive_addresses (address, pos) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING',
        [pairs.map((p) => p[0]), pairs.map((p) => Number(p[1]))],
      );
      return out;
    });
  }

  /** Inserts the message with its blob and index row, or links to the one with the same content. */
  private async storeMessage(c: pg.PoolClient, m: NewArchivedMessage, blobFile: string | null, vectors: string[]): Promise<{ archiveId: string; pos: number; deduplicated: boolean }> {
    for (;;) {
      const dup = (await c.query<{ id: string }>('SELECT id FROM archive_messages WHERE content_hash = $1', [m.contentHash])).rows[0];
      const bodyPos = m.body && !dup ? await this.storeBody(c, m.body) : null;
      // A concurrent insert of the same content waits here for the other transaction's end.
      const ins = await c.query<{ pos: number }>(
        `INSERT INTO archive_messages (id, content_hash, size, stored_size, compression, key_id, archived_at, date, from_addr, to_addr,
           cc_addr, subject, message_id, attachments, has_attachment, blob_file, retain_until, body_pos)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (content_hash) DO NOTHING RETURNING pos`,
        [m.id, m.contentHash, m.size, m.storedSize, m.compression, m.keyId, this.now(), m.date, m.from, m.to, m.cc, m.subject, m.messageId,
          JSON.stringify(m.attachments), m.attachments.length ? 1 : 0, blobFile, m.retainUntil, bodyPos],
      );
      const row = ins.rows[0];
      if (row) {
        const pos = Number(row.pos);
        if ('inline' in m.blob) await c.query('INSERT INTO archive_blobs (pos, data) VALUES ($1, $2)', [pos, m.blob.inline]);
        await c.query(
          `INSERT INTO archive_fts (pos, sender, recipients, subject, body, attachments, message_id)
           VALUES ($1, $2::tsvector, $3::tsvector, $4::tsvector, $5::tsvector, $6::tsvector, $7::tsvector)`,
          [pos, ...vectors],
        );
        return { archiveId: m.id, pos, deduplicated: false };
      }
      const up = await c.query<{ id: string; pos: number }>('UPDATE archive_messages SET retain_until = GREATEST(retain_until, $1) WHERE content_hash = $2 RETURNING id, pos', [
        m.retainUntil,
        m.contentHash,
      ]);
      if (up.rows[0]) {
        // The same content came in on another node meanwhile: a body stored for it here is not needed.
        if (bodyPos !== null) await c.query('DELETE FROM archive_bodies b WHERE b.pos = $1 AND NOT EXISTS (SELECT 1 FROM archive_messages m WHERE m.body_pos = b.pos)', [bodyPos]);
        return { archiveId: up.rows[0].id, pos: Number(up.rows[0].pos), deduplicated: true };
      }
      // The stored one was deleted (expired) in between: store this one.
    }
  }

  async search(q: ArchiveSearch): Promise<{ total: number; messages: ArchivedMessage[] }> {
    const where: string[] = [];
    const args: unknown[] = [];
    const match = ftsCondition(q.terms, args);
    if (match === null) return { total: 0, messages: [] };
    const add = (cond: string, v: unknown) => (args.push(v), where.push(cond.replace('?', `$${args.length}`)));
    if (match) where.push(match);
    if (q.before !== undefined) add('m.date < ?', q.before);
    if (q.after !== undefined) add('m.date >= ?', q.after);
    if (q.hasAttachment !== undefined) add('m.has_attachment = ?', q.hasAttachment ? 1 : 0);
    if (q.participants) {
      if (!q.participants.length) return { total: 0, messages: [] };
      add('m.pos IN (SELECT pos FROM archive_addresses WHERE address = ANY(?::text[]))', q.participants.map((x) => x.toLowerCase()));
    }
    if (q.ids) {
      if (!q.ids.length) return { total: 0, messages: [] };
      add('m.id = ANY(?::text[])', q.ids);
    }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const n = args.length;
    if (!match) {
      // No text: the count and the newest page straight from the message table's indexes.
      const [count, page] = await Promise.all([
        this.db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM archive_messages m ${w}`, args),
        this.db.query<MessageRow>(`SELECT m.* FROM archive_messages m ${w} ORDER BY m.date DESC, m.pos DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...args, q.limit, q.offset]),
      ]);
      return { total: Number(count.rows[0].n), messages: page.rows.map(toMessage) };
    }
    // Text: the matches are found once (GIN bitmap scan; a phrase or an exclusion is checked on
    // each candidate's vectors) and both counted and paged from there. Walking the date index
    // and checking each message instead looks cheaper to the planner, which cannot estimate
    // phrases, but costs a vector check per message passed over.
    const rows = await this.db.query<MessageRow & { total: number }>(
      `WITH hits AS MATERIALIZED (SELECT m.pos, m.date FROM archive_messages m JOIN archive_fts f ON f.pos = m.pos ${w})
       SELECT t.total, m.* FROM (SELECT count(*)::bigint AS total FROM hits) t
       LEFT JOIN LATERAL (SELECT pos FROM hits ORDER BY date DESC, pos DESC LIMIT $${n + 1} OFFSET $${n + 2}) p ON true
       LEFT JOIN archive_messages m ON m.pos = p.pos
       ORDER BY m.date DESC, m.pos DESC`,
      [...args, q.limit, q.offset],
    );
    return { total: Number(rows.rows[0]?.total ?? 0), messages: rows.rows.filter((r) => r.id !== null).map(toMessage) };
  }

  async get(archiveId: string): Promise<ArchivedMessage | null> {
    const r = (await this.db.query<MessageRow>('SELECT * FROM archive_messages WHERE id = $1', [archiveId])).rows[0];
    return r ? toMessage(r) : null;
  }

  async entriesOf(archiveId: string): Promise<ArchiveEntry[]> {
    return (await this.db.query<EntryRow>('SELECT * FROM archive_entries WHERE archive_id = $1 ORDER BY seq', [archiveId])).rows.map(toEntry);
  }

  async hasArrival(mailId: string): Promise<boolean> {
    return ((await this.db.query('SELECT 1 FROM archive_entries WHERE mail_id = $1 LIMIT 1', [mailId])).rowCount ?? 0) > 0;
  }

  async scanEntries(after: number, limit: number): Promise<StoredLink<ArchiveEntry>[]> {
    const rows = await this.db.query<EntryRow>('SELECT * FROM archive_entries WHERE pos > $1 ORDER BY pos LIMIT $2', [after, limit]);
    return rows.rows.map((r) => ({ pos: Number(r.pos), record: toEntry(r) }));
  }

  async scanMessages(after: number, limit: number): Promise<StoredLink<ArchivedMessage & { indexed: boolean }>[]> {
    const rows = await this.db.query<MessageRow & { indexed: boolean }>(
      `SELECT m.*, EXISTS (SELECT 1 FROM archive_fts f WHERE f.pos = m.pos) AS indexed
       FROM archive_messages m WHERE m.pos > $1 ORDER BY m.pos LIMIT $2`,
      [after, limit],
    );
    return rows.rows.map((r) => ({ pos: Number(r.pos), record: { ...toMessage(r), indexed: r.indexed === true } }));
  }

  async orphanIndexRows(): Promise<number[]> {
    const rows = await this.db.query<{ pos: number }>(
      'SELECT f.pos FROM archive_fts f WHERE NOT EXISTS (SELECT 1 FROM archive_messages m WHERE m.pos = f.pos) ORDER BY f.pos LIMIT 1000',
    );
    return rows.rows.map((r) => Number(r.pos));
  }

  async keyIds(): Promise<string[]> {
    return (await this.db.query<{ key_id: string }>('SELECT key_id FROM archive_messages GROUP BY key_id ORDER BY key_id COLLATE "C"')).rows.map((r) => r.key_id);
  }

  /** Start-up: drops unfinished chunked blobs and those no message names (archive-blobs.ts). */
  sweep(): Promise<number> {
    return this.blobs.sweep();
  }

  async scanExpired(now: number, after: number, limit: number): Promise<StoredLink<ArchivedMessage>[]> {
    const rows = await this.db.query<MessageRow>(
      // Held or not: the caller applies the holds (and remove() refuses one held by message).
      'SELECT m.* FROM archive_messages m WHERE m.retain_until <= $1 AND m.pos > $2 ORDER BY m.pos LIMIT $3',
      [now, after, limit],
    );
    return rows.rows.map((r) => ({ pos: Number(r.pos), record: toMessage(r) }));
  }

  remove(
    archiveId: string,
    now: number,
    deletion: (last: { seq: number; hash: string } | null, m: ArchivedMessage) => ArchiveDeletion,
    holdsPlaced?: number,
  ): Promise<ArchiveDeletion | null> {
    return this.db.tx(async (c) => {
      // The row lock orders this against addHold() and a dedup arrival extending its retention.
      const row = (await c.query<MessageRow>('SELECT * FROM archive_messages WHERE id = $1 FOR UPDATE', [archiveId])).rows[0];
      if (!row || Number(row.retain_until) > now) return null;
      // The deletion chain's lock is taken by addHold() too: a hold placed on any node either
      // committed before (and is counted below) or waits until this deletion has committed.
      await lockChain(c, LOCK.archiveDeletions);
      if ((await c.query('SELECT 1 FROM archive_holds WHERE archive_id = $1 AND removed_at IS NULL LIMIT 1', [archiveId])).rowCount) return null;
      if (holdsPlaced !== undefined && Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM archive_holds')).rows[0].n) !== holdsPlaced) return null;
      const last = (await c.query<{ seq: number; hash: string }>('SELECT seq, hash FROM archive_deletions ORDER BY seq DESC LIMIT 1')).rows[0];
      const d = deletion(last ? { seq: Number(last.seq), hash: last.hash } : null, toMessage(row));
      await c.query('DELETE FROM archive_blobs WHERE pos = $1', [row.pos]);
      if (row.blob_file) await c.query('DELETE FROM archive_blob_chunks WHERE blob_key = $1', [row.blob_file]);
      await c.query('DELETE FROM archive_fts WHERE pos = $1', [row.pos]);
      await c.query('DELETE FROM archive_messages WHERE pos = $1', [row.pos]);
      if (row.body_pos != null) {
        // Locked first: an arrival naming this body either committed before (then it is in use) or finds it gone.
        await c.query('SELECT 1 FROM archive_bodies WHERE pos = $1 FOR UPDATE', [row.body_pos]);
        await c.query('DELETE FROM archive_bodies b WHERE b.pos = $1 AND NOT EXISTS (SELECT 1 FROM archive_messages m WHERE m.body_pos = b.pos)', [row.body_pos]);
      }
      await c.query('DELETE FROM archive_addresses WHERE pos = $1', [row.pos]);
      await c.query(
        `INSERT INTO archive_deletions (seq, at, archive_id, content_hash, archived_at, retain_until, reason, actor, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [d.seq, d.at, d.archiveId, d.contentHash, d.archivedAt, d.retainUntil, d.reason, d.actor, d.prevHash, d.hash],
      );
      return d;
    });
  }

  async deletionOf(archiveId: string): Promise<ArchiveDeletion | null> {
    const r = (await this.db.query<DeletionRow>('SELECT * FROM archive_deletions WHERE archive_id = $1 ORDER BY seq DESC LIMIT 1', [archiveId])).rows[0];
    return r ? toDeletion(r) : null;
  }

  async scanDeletions(after: number, limit: number): Promise<StoredLink<ArchiveDeletion>[]> {
    const rows = await this.db.query<DeletionRow>('SELECT * FROM archive_deletions WHERE pos > $1 ORDER BY pos LIMIT $2', [after, limit]);
    return rows.rows.map((r) => ({ pos: Number(r.pos), record: toDeletion(r) }));
  }

  async addHold(h: Omit<ArchiveHold, 'removedBy' | 'removedAt'>): Promise<ArchiveHold> {
    await this.db.tx(async (c) => {
      // Share-lock the message: a remove() running now either finishes first or sees this hold.
      if (h.archiveId !== null) await c.query('SELECT 1 FROM archive_messages WHERE id = $1 FOR SHARE', [h.archiveId]);
      await lockChain(c, LOCK.archiveDeletions);
      await c.query('INSERT INTO archive_holds (id, archive_id, query, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        h.id,
        h.archiveId,
        h.query,
        h.reason,
        h.createdBy,
        h.createdAt,
      ]);
    });
    return { ...h, removedBy: null, removedAt: null };
  }

  async holds(withRemoved = false): Promise<ArchiveHold[]> {
    const rows = await this.db.query<HoldRow>(
      `SELECT * FROM archive_holds ${withRemoved ? '' : 'WHERE removed_at IS NULL'} ORDER BY created_at, id COLLATE "C"`,
    );
    return rows.rows.map(toHold);
  }

  async removeHold(id: string, by: string, at: number): Promise<ArchiveHold | null> {
    const r = await this.db.query<HoldRow>('UPDATE archive_holds SET removed_by = $1, removed_at = $2 WHERE id = $3 AND removed_at IS NULL RETURNING *', [by, at, id]);
    return r.rows[0] ? toHold(r.rows[0]) : null;
  }
}

/**
 * Whether a failed batch may be the fault of one arrival in it (bad data, a builder that
 * threw), so retrying one by one saves the others. A lost connection or server is not: the
 * COMMIT may even have happened, and a retry would archive the arrivals twice.
 */
function oneArrivalsFault(err: unknown): boolean {
  if (err instanceof ArchiveBodyGoneError) return true;
  const cause = err instanceof StorageError ? err.cause : err;
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return !(err instanceof StorageError);
  return /^(22|23|42)/.test(code);
}
