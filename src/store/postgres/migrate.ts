// Numbered .sql migrations (migrations/NNN-name.sql) for the PostgreSQL store, each applied once
// in its own transaction. Several nodes starting together serialise on an advisory lock, so a
// migration runs exactly once in the cluster; the others find it recorded and go on.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase } from './database.ts';

/** Next to this file in the sources; next to the bundle (dist/pg-migrations) when bundled. */
function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // pg-migrations first: in the bundle `migrations` next to main.mjs holds SQLite's.
  for (const d of [join(here, 'pg-migrations'), join(here, 'migrations')]) {
    try {
      readdirSync(d);
      return d;
    } catch {
      /* try the next */
    }
  }
  throw new Error(`PostgreSQL migrations not found next to ${here}`);
}

/** Arbitrary constant key of the cluster-wide migration lock. */
const LOCK_KEY = 0x6761_7465; // "gate"

/** Applies pending migrations; returns the names applied by this call. */
export async function migratePostgres(db: PgDatabase): Promise<string[]> {
  const dir = migrationsDir();
  const files = readdirSync(dir).filter((f) => /^\d+-.*\.sql$/.test(f)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const client = await db.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const file of files) {
      const version = parseInt(file, 10);
      if (done.has(version)) continue;
      const sql = readFileSync(join(dir, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, file, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`PostgreSQL migration ${file} failed: ${err instanceof Error ? err.message : err}`, { cause: err });
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    client.release();
  }
  return applied;
}
