// Numbered .sql migrations (migrations/NNN-name.sql; migrations/<set>/ for another database),
// each applied once in its own transaction.
import type Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** `set`: a subfolder of migrations/ for a database of its own (e.g. "archive"). */
export function migrate(db: Database.Database, set?: string): void {
  const dir = set ? join(DIR, set) : DIR;
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const done = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  for (const file of readdirSync(dir).filter((f) => /^\d+-.*\.sql$/.test(f)).sort()) {
    const version = parseInt(file, 10);
    if (done.has(version)) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, file, Date.now());
    })();
  }
}
