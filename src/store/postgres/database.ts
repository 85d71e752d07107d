// The PostgreSQL connection of a cluster node: one pool, transactions with retry on
// serialization failures, and driver errors mapped to the contract's StorageError, so a lost
// database reads as "not durable" (smtp-receiver answers 451) and never as a silent success.
import pg from 'pg';
import { StorageError } from '../store.ts';

export type Sql = pg.PoolClient | pg.Pool;

// BIGINT (epoch ms, counts, identity ids) as a JS number, as the SQLite driver gives it; every
// value the stores keep in one fits in 2^53. The driver's default (a string) would leak into
// the contract's types.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export interface PgDatabaseOptions {
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Statement deadline in ms (default 30 s): no call into the database waits forever. */
  statementTimeoutMs?: number;
}

export class PgDatabase {
  readonly pool: pg.Pool;
  private closed = false;

  constructor(readonly opts: PgDatabaseOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      application_name: 'gatehouse',
    });
    // An idle client losing its connection (server restart) must not crash the process; the
    // pool drops it and the next query gets a fresh one.
    this.pool.on('error', () => {});
    // Every client keeps a listener of its own for its whole life: the server ending a connection
    // (57P01 at a restart) can emit 'error' more than once — pg-pool's query() listens only once,
    // and a client may emit after release — and an 'error' without a listener ends the process.
    // The failing query still rejects through its own callback; the pool drops the client.
    this.pool.on('connect', (client) => {
      client.on('error', () => {});
    });
  }

  /** One statement outside a transaction. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw storageError(err);
    }
  }

  /**
   * Runs `fn` in one transaction (READ COMMITTED unless told otherwise) and commits; retried a
   * few times on serialization failure or deadlock. Resolves after COMMIT, which PostgreSQL makes
   * durable (synchronous_commit=on) before it answers. `unsynced` commits without waiting for
   * the WAL flush (a server crash may lose the last few hundred ms of such commits; a later
   * synced commit makes every earlier one durable): for writes that are redone when lost.
   */
  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, opts: { isolation?: 'serializable' | 'repeatable read'; unsynced?: boolean } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw storageError(err);
      }
      let broken = false;
      // A checked-out client has no error listener of the pool's: the server ending the
      // connection between two statements would be an unhandled 'error' event (a crashed node).
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        // One round trip for both (a simple query may hold several statements).
        const begin = opts.isolation ? `BEGIN ISOLATION LEVEL ${opts.isolation.toUpperCase()}` : 'BEGIN';
        await client.query(opts.unsynced ? `${begin}; SET LOCAL synchronous_commit TO OFF` : begin);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 5) continue;
        if (isConnectionError(err)) broken = true;
        throw err instanceof StorageError || !isDriverError(err) ? err : storageError(err);
      } finally {
        client.removeListener('error', onError);
        client.release(broken);
      }
    }
  }

  /**
   * A dedicated client; the caller releases it. While it is checked out, a connection the
   * server ends is noted (its next query fails) instead of crashing the process, and release()
   * then drops it from the pool.
   */
  async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storageError(err);
    }
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    const release = client.release;
    client.release = (err?: Error | boolean) => {
      client.removeListener('error', onError);
      return release.call(client, err ?? broken);
    };
    return client;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

function isDriverError(err: unknown): boolean {
  return err instanceof Error && ('code' in err || /connect|terminat|timeout|Connection/i.test(err.message));
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return /^(08|57P)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) || /Connection terminated/i.test(String((err as Error)?.message));
}

/** The contract's StorageError for a driver error (disk full on the server keeps its noSpace flag). */
export function storageError(err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: string }).code;
  const msg = err instanceof Error ? err.message : String(err);
  return new StorageError(`PostgreSQL: ${msg}${code ? ` (${code})` : ''}`, { cause: err, noSpace: code === '53100' });
}
