// log-manager: collects the log records of every service into the log database (batched).
// Every other service depends on it; the supervisor cascades its stop.
import type { LogRecord, LogStore } from '../../store/store.ts';
import type { Service } from '../service.ts';
import type { LogSink } from './logger.ts';

const FLUSH_MS = 250;
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

  constructor(private readonly logs: LogStore) {}

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
  }

  async stop(): Promise<void> {
    await this.flush();
    this.running = false;
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length) await this.logs.append(batch).catch(() => undefined);
  }
}
