// log-manager: collects the log records of every service into the log database (batched).
// Every other service depends on it; the supervisor cascades its stop.
import type { LogRecord, LogStore, QueueStore } from '../../store/store.ts';
import type { Service } from '../service.ts';
import type { LogSink } from './logger.ts';

const FLUSH_MS = 250;
const PURGE_EVERY_MS = 6 * 3_600_000;
const MAX_BUFFER = 10_000;

export class LogManager implements Service {
  readonly name = 'log-manager' as const;
  readonly kind = 'infrastructure' as const;
  readonly description = 'Collects the logs of all services in the log database; stopping it stops every other service';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = false;
  private buffer: LogRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  dropped = 0;

  private purgeTimer: NodeJS.Timeout | null = null;

  /** `retentionMs`: log records, and the tracking of mails finished longer ago, are kept this long. */
  constructor(
    private readonly logs: LogStore,
    private readonly retention?: { ms: number; queue: QueueStore },
  ) {}

  /** The sink every logger writes to; records are kept only while the service runs. */
  readonly sink: LogSink = (rec) => {
    if (!this.running) return;
    if (this.buffer.length >= MAX_BUFFER) {
      this.dropped++;
      return;
    }
    this.buffer.push(rec);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  };

  configured(): boolean {
    return true;
  }

  async start(): Promise<void> {
    this.running = true;
    if (this.retention) {
      void this.purge();
      this.purgeTimer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
      this.purgeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    await this.flush();
    this.running = false;
  }

  /** Drops log records and finished mails' tracking older than the retention. */
  async purge(): Promise<{ logs: number; mails: number }> {
    if (!this.retention) return { logs: 0, mails: 0 };
    const before = Date.now() - this.retention.ms;
    const logs = await this.logs.purge(before).catch(() => 0);
    const mails = await this.retention.queue.purgeFinal(before).catch(() => 0);
    return { logs, mails };
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length) await this.logs.append(batch).catch(() => undefined);
  }
}
