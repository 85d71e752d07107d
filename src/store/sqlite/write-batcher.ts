// Group commit for SQLite without blocking the event loop on fsync. Writes queued within one
// event-loop turn share one transaction, each in its own savepoint (one failing write does not
// undo the others; a failing COMMIT fails them all). Commits run with synchronous=NORMAL, so
// they only reach the OS; `durable` writes (new mail, final states, settings) then wait for an
// fdatasync of the WAL file on libuv's thread pool, coalesced so one sync covers every commit
// before it. That is what synchronous=FULL would do, minus the stall of the whole process
// while the disk syncs. A process crash cannot lose even a non-durable commit (the WAL is in
// the OS); after a power loss a non-durable move is found one stage earlier and redone.
import type Database from 'better-sqlite3';
import { StorageError } from '../store.ts';
import type { FsyncCoalescer } from '../files/fsync-coalescer.ts';

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

  constructor(
    private readonly db: Database.Database,
    private readonly wal: FsyncCoalescer,
  ) {}

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
    try {
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
    const settle = (p: Pending) => (p.failed ? p.reject(asStorageError(p.error)) : p.resolve(p.result));
    const durable: Pending[] = [];
    for (const p of batch) (p.durable && !p.failed ? durable.push(p) : settle(p));
    if (!durable.length) return;
    this.wal.sync().then(
      () => durable.forEach(settle),
      (err) => {
        const e = new StorageError(`cannot sync the queue database: ${(err as Error).message}`, {
          cause: err,
          noSpace: (err as NodeJS.ErrnoException).code === 'ENOSPC',
        });
        durable.forEach((p) => p.reject(e));
      },
    );
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
