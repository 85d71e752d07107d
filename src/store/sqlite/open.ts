// Opens the embedded default: SQLite (WAL; durable commits are fdatasync'd, see write-batcher.ts)
// for queues, logs and settings, plus body files, all under dataDir.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FsyncCoalescer } from '../files/fsync-coalescer.ts';
import { join } from 'node:path';
import type { Store } from '../store.ts';
import { FileBodyStore } from '../files/body-files.ts';
import { migrate } from './migrate.ts';
import { SqliteBodyStore } from './body-store.ts';
import { WriteBatcher } from './write-batcher.ts';
import { SqliteQueueStore } from './queue-store.ts';
import { SqliteLogStore } from './log-store.ts';
import { SqliteSettingsStore } from './settings-store.ts';
import { SqlitePop3UidlStore } from './pop3-uidl-store.ts';
import { SqliteComplianceStore } from './compliance-store.ts';
import { openSqliteArchive, type SqliteArchiveStore } from './archive-store.ts';
import { SqliteSpamStore } from './spam-store.ts';
import { SqliteKeyStore } from './key-store.ts';
import { SqliteUserStore } from './user-store.ts';

export interface SqliteStore extends Store {
  queue: SqliteQueueStore;
  bodies: SqliteBodyStore;
  archive: SqliteArchiveStore;
  users: SqliteUserStore;
}

export function openSqliteStore(dataDir: string, opts: { now?: () => number; inlineLimit?: number } = {}): SqliteStore {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'gatehouse.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  // From here on commits only reach the OS and durability comes from an fdatasync of the WAL
  // (see write-batcher.ts); checkpoints run on their own thread (checkpoint-worker.mjs).
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run('store:opened', JSON.stringify(Date.now()));
  const file = join(dataDir, 'gatehouse.db');
  const checkpointer = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { file } });
  checkpointer.unref();
  checkpointer.on('error', () => undefined);
  const wal = new FsyncCoalescer(file + '-wal');
  const writes = new WriteBatcher(db, wal);
  const queue = new SqliteQueueStore(db, writes, opts.now);
  const bodies = new SqliteBodyStore(db, writes, new FileBodyStore(join(dataDir, 'queue')), opts.inlineLimit);
  const archive = openSqliteArchive(join(dataDir, 'archive'), { now: opts.now });
  return {
    queue,
    bodies,
    logs: new SqliteLogStore(db, writes),
    settings: new SqliteSettingsStore(db, writes),
    pop3: new SqlitePop3UidlStore(db, writes),
    compliance: new SqliteComplianceStore(db, writes),
    archive,
    spam: new SqliteSpamStore(db, writes),
    keys: new SqliteKeyStore(db, writes, opts.now),
    users: new SqliteUserStore(db, writes, opts.now),
    async close() {
      await archive.close();
      writes.flush();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        checkpointer.once('message', () => (clearTimeout(t), resolve()));
        checkpointer.once('exit', () => (clearTimeout(t), resolve()));
        checkpointer.postMessage('stop');
      });
      await checkpointer.terminate();
      await wal.close().catch(() => undefined);
      db.close();
    },
  };
}
