// Opens the embedded default: SQLite (WAL, synchronous=FULL so a commit survives power loss)
// for queues, logs and settings, plus body files, all under dataDir.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store.ts';
import { FileBodyStore } from '../files/body-files.ts';
import { migrate } from './migrate.ts';
import { WriteBatcher } from './write-batcher.ts';
import { SqliteQueueStore } from './queue-store.ts';
import { SqliteLogStore } from './log-store.ts';
import { SqliteSettingsStore } from './settings-store.ts';

export interface SqliteStore extends Store {
  queue: SqliteQueueStore;
  bodies: FileBodyStore;
}

export function openSqliteStore(dataDir: string, opts: { now?: () => number } = {}): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'gatehouse.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  const writes = new WriteBatcher(db);
  const queue = new SqliteQueueStore(db, writes, opts.now);
  const bodies = new FileBodyStore(join(dataDir, 'queue'));
  return {
    queue,
    bodies,
    logs: new SqliteLogStore(db, writes),
    settings: new SqliteSettingsStore(db, writes),
    async close() {
      writes.flush();
      db.close();
    },
  };
}
