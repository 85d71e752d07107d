// Cross-node wake-ups: one dedicated LISTEN connection per node (outside the pool) on the queue
// channel; every transaction that makes mail ready sends `pg_notify(channel, "<tag> <queue>")`,
// which PostgreSQL delivers at COMMIT. Promises: listeners hear every queue another node announced
// while the connection was up; after a lost connection it reconnects (backoff up to 5 s) and then
// announces every stage queue once, because notifications sent meanwhile are gone.
import pg from 'pg';
import { STAGES, type QueueName } from '../../core/mail.ts';

export const QUEUE_CHANNEL = 'gatehouse_queue';

export class QueueWatch {
  private readonly listeners = new Set<(queue: QueueName) => void>();
  private client: pg.Client | null = null;
  private connecting = false;
  private retry: NodeJS.Timeout | null = null;
  private delayMs = 250;
  private everConnected = false;
  private closed = false;

  /** `tag` marks this node's own notifications, which it ignores. */
  constructor(
    private readonly url: string,
    readonly tag: string,
  ) {}

  /** Adds a listener (and opens the connection with the first one); returns its removal. */
  add(listener: (queue: QueueName) => void): () => void {
    this.listeners.add(listener);
    if (!this.client && !this.connecting && !this.retry && !this.closed) void this.connect();
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Whether the LISTEN connection is up (tests, health). */
  get listening(): boolean {
    return this.client !== null;
  }

  private emit(queue: string): void {
    for (const l of this.listeners) {
      try {
        l(queue as QueueName);
      } catch {
        /* a listener's failure is its own; the others still hear it */
      }
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.connecting = true;
    const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: 'gatehouse-listen' });
    let dead = false;
    const lost = () => {
      if (dead) return;
      dead = true;
      if (this.client === c) this.client = null;
      c.end().catch(() => {});
      this.schedule();
    };
    c.on('error', lost);
    c.on('end', lost);
    c.on('notification', (n) => {
      if (n.channel !== QUEUE_CHANNEL || !n.payload) return;
      const space = n.payload.indexOf(' ');
      if (space < 0 || n.payload.slice(0, space) === this.tag) return;
      this.emit(n.payload.slice(space + 1));
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${QUEUE_CHANNEL}`);
    } catch {
      this.connecting = false;
      if (dead) this.schedule();
      else lost();
      return;
    }
    this.connecting = false;
    if (dead) return;
    if (this.closed) {
      dead = true;
      await c.end().catch(() => {});
      return;
    }
    this.client = c;
    this.delayMs = 250;
    // Whatever was announced while we were not listening is lost: look at every stage once.
    if (this.everConnected) for (const s of STAGES) this.emit(s);
    this.everConnected = true;
  }

  private schedule(): void {
    if (this.closed || this.retry || this.connecting) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, this.delayMs);
    this.retry.unref();
    this.delayMs = Math.min(this.delayMs * 2, 5_000);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }
}
