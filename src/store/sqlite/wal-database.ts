// Opens one SQLite database the way every Gatehouse database runs: WAL, migrations applied
// (synchronously and synced), then commits at synchronous=NORMAL made durable by a coalesced
// fdatasync of the WAL (write-batcher.ts) and checkpoints on a worker thread of their own
// (checkpoint-worker.mjs), so neither ever stalls the event loop.
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { FsyncCoalescer } from '../files/fsync-coalescer.ts';
import { WriteBatcher } from './write-batcher.ts';

export interface WalDatabase {
  db: Database.Database;
  writes: WriteBatcher;
  /** Flushes pending writes, checkpoints, and closes. */
  close(): Promise<void>;
}

export function openWalDatabase(file: string, migrateIt: (db: Database.Database) => void, pragmas: string[] = []): WalDatabase {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  for (const p of pragmas) db.pragma(p);
  migrateIt(db);
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');
  const checkpointer = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { file } });
  checkpointer.unref();
  checkpointer.on('error', () => undefined);
  const wal = new FsyncCoalescer(file + '-wal');
  const writes = new WriteBatcher(db, wal);
  return {
    db,
    writes,
    async close() {
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
