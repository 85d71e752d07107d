// Group commit for SQLite: writes queued within one event-loop turn share one transaction and
// so one fsync (synchronous=FULL). Each write runs in its own savepoint, so one failing write
// does not undo the others; a failing COMMIT (disk full, I/O error) fails them all.
import type Database from 'better-sqlite3';
import { StorageError } from '../store.ts';

interface Pending {
  fn: () => unknown;
  durable: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  result?: unknown;
  error?: unknown;
  failed?: boolean;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private syncFull = true;
  constructor(private readonly db: Database.Database) {}

  /**
   * Queues a write. `durable` writes (new mail, final states) are committed with
   * synchronous=FULL: the WAL is fsync'd before they resolve, covering every earlier commit too.
   * Other writes (a move from one stage to the next, a lease) are committed without a sync: a
   * process crash cannot lose them (the WAL is in the OS), and after a power loss the mail is
   * found one stage earlier and processed again, never lost.
   */
  run<T>(fn: () => T, durable = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, durable, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything queued now (also used at close). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    const durable = batch.some((p) => p.durable);
    try {
      if (durable !== this.syncFull) {
        this.db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
        this.syncFull = durable;
      }
      this.db.exec('BEGIN IMMEDIATE');
      for (const p of batch) {
        this.db.exec('SAVEPOINT w');
        try {
          p.result = p.fn();
          this.db.exec('RELEASE w');
        } catch (err) {
          p.failed = true;
          p.error = err;
          this.db.exec('ROLLBACK TO w');
          this.db.exec('RELEASE w');
        }
      }
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          /* the rollback's own failure adds nothing to the original error */
        }
      }
      const e = asStorageError(err);
      for (const p of batch) p.reject(e);
      return;
    }
    for (const p of batch) (p.failed ? p.reject(asStorageError(p.error)) : p.resolve(p.result));
  }
}

export function asStorageError(err: unknown): unknown {
  if (err instanceof StorageError) return err;
  const code = (err as { code?: string })?.code ?? '';
  if (typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new StorageError(`database write failed: ${(err as Error).message}`, { cause: err, noSpace: code === 'SQLITE_FULL' });
  }
  return err;
}
