// Writes the contract lets go without durability (a session's last request, an API token's last
// use, a fuzzy print's hit count): committed without waiting for the WAL flush, so a busy
// console or filter does not pay a disk sync per request. A crash may lose the last of them.
import type { PgDatabase } from './database.ts';

/** Runs one statement in a transaction with synchronous_commit off; resolves with its row count. */
export function writeAsyncCommit(db: PgDatabase, sql: string, values: unknown[]): Promise<number> {
  return db.tx(async (c) => (await c.query(sql, values)).rowCount ?? 0, { unsynced: true });
}
