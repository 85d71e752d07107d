// Message bodies in PostgreSQL, as chunks of up to 1 MiB (table body_chunks), so every node of
// a cluster reads every body. Writing holds at most one chunk in memory and no connection while
// the client sends: a body that fits one chunk is written at commit() in one statement; a larger
// one goes chunk by chunk, as it arrives, under a staging key (not visible, no pool connection
// held between chunks, unsynced commits), and commit() renames it to its key in one synchronous
// transaction, which also makes the earlier chunks durable (WAL order). Unfinished bodies of a
// crashed node stay as uncommitted rows; clearTmp() drops those older than a grace period.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BodyStore, BodyWriter } from '../store.ts';
import type { PgDatabase } from './database.ts';

export const CHUNK_BYTES = 1024 * 1024;
/**
 * A body younger than this may belong to a mail another node is inserting right now (or still
 * being written): recovery leaves it alone.
 */
export const BODY_GRACE_MS = 3_600_000;

function notFound(key: string): Error {
  return Object.assign(new Error(`body ${key} not found`), { code: 'ENOENT' });
}

export class PgBodyStore implements BodyStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly now: () => number = Date.now,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  async create(key: string): Promise<BodyWriter> {
    const db = this.db;
    const staging = `~${key}.${randomBytes(6).toString('hex')}`;
    let held: Buffer[] = [];
    let heldBytes = 0;
    let seq = 0;
    let size = 0;
    let started = false;

    const take = (n: number): Buffer => {
      const all = held.length === 1 ? held[0] : Buffer.concat(held, heldBytes);
      const out = all.subarray(0, n);
      const rest = all.subarray(n);
      held = rest.length ? [rest] : [];
      heldBytes = rest.length;
      return out;
    };
    const writeChunk = async (data: Buffer) => {
      await db.tx(
        async (c) => {
          if (!started) await c.query('INSERT INTO bodies (key, committed, created_at) VALUES ($1, false, $2)', [staging, this.now()]);
          await c.query('INSERT INTO body_chunks (key, seq, data) VALUES ($1, $2, $3)', [staging, seq, data]);
        },
        { unsynced: true },
      );
      started = true;
      seq++;
    };

    return {
      key,
      write: async (chunk: Buffer) => {
        held.push(chunk);
        heldBytes += chunk.length;
        size += chunk.length;
        while (heldBytes >= this.chunkBytes) await writeChunk(take(this.chunkBytes));
      },
      commit: async () => {
        if (!started) {
          const data = heldBytes ? take(heldBytes) : null;
          await this.putSmall(key, data, size);
          return;
        }
        if (heldBytes) await writeChunk(take(heldBytes));
        await db.tx(async (c) => {
          await c.query('DELETE FROM bodies WHERE key = $1', [key]);
          await c.query('UPDATE bodies SET key = $1, committed = true, size = $2, created_at = $3 WHERE key = $4', [key, size, this.now(), staging]);
        });
      },
      abort: async () => {
        held = [];
        heldBytes = 0;
        if (started) await db.query('DELETE FROM bodies WHERE key = $1', [staging]);
      },
    };
  }

  /** A body of at most one chunk: one statement when the key is new, a replace otherwise. */
  private async putSmall(key: string, data: Buffer | null, size: number): Promise<void> {
    const at = this.now();
    try {
      await this.db.query(
        data
          ? 'WITH b AS (INSERT INTO bodies (key, size, committed, created_at) VALUES ($1, $2, true, $3)) INSERT INTO body_chunks (key, seq, data) VALUES ($1, 0, $4)'
          : 'INSERT INTO bodies (key, size, committed, created_at) VALUES ($1, $2, true, $3)',
        data ? [key, size, at, data] : [key, size, at],
      );
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== '23505') throw err;
      await this.db.tx(async (c) => {
        await c.query('DELETE FROM bodies WHERE key = $1', [key]);
        await c.query('INSERT INTO bodies (key, size, committed, created_at) VALUES ($1, $2, true, $3)', [key, size, at]);
        if (data) await c.query('INSERT INTO body_chunks (key, seq, data) VALUES ($1, 0, $2)', [key, data]);
      });
    }
  }

  /** Streams the chunks one query at a time; a body removed while read fails the stream. */
  open(key: string): Readable {
    const db = this.db;
    async function* chunks(): AsyncGenerator<Buffer> {
      const head = await db.query<{ size: number }>('SELECT size FROM bodies WHERE key = $1 AND committed', [key]);
      if (!head.rows[0]) throw notFound(key);
      let got = 0;
      for (let seq = 0; got < head.rows[0].size; seq++) {
        const r = await db.query<{ data: Buffer }>('SELECT data FROM body_chunks WHERE key = $1 AND seq = $2', [key, seq]);
        if (!r.rows[0]) throw new Error(`body ${key} was removed while it was read`);
        got += r.rows[0].data.length;
        yield r.rows[0].data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async read(key: string): Promise<Buffer> {
    const r = await this.db.query<{ data: Buffer | null }>(
      'SELECT c.data FROM bodies b LEFT JOIN body_chunks c ON c.key = b.key WHERE b.key = $1 AND b.committed ORDER BY c.seq',
      [key],
    );
    if (!r.rows.length) throw notFound(key);
    return Buffer.concat(r.rows.filter((x) => x.data).map((x) => x.data!));
  }

  async remove(key: string): Promise<void> {
    await this.db.query('DELETE FROM bodies WHERE key = $1', [key]);
  }

  async keys(): Promise<string[]> {
    return (await this.db.query<{ key: string }>('SELECT key FROM bodies WHERE committed')).rows.map((r) => r.key);
  }

  /**
   * Keys of committed bodies older than `graceMs`: the only ones recovery may judge orphaned in a
   * cluster, where another node commits a body a moment before it inserts the mail.
   */
  async settledKeys(graceMs = BODY_GRACE_MS): Promise<string[]> {
    const r = await this.db.query<{ key: string }>('SELECT key FROM bodies WHERE committed AND created_at < $1', [this.now() - graceMs]);
    return r.rows.map((x) => x.key);
  }

  /** Drops unfinished bodies (a node died while writing) older than `graceMs`; returns how many. */
  async clearTmp(graceMs = BODY_GRACE_MS): Promise<number> {
    const r = await this.db.query('DELETE FROM bodies WHERE NOT committed AND created_at < $1', [this.now() - graceMs]);
    return r.rowCount ?? 0;
  }
}
