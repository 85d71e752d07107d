// The mail flow in one place: the stage order, one runner per stage, wake-ups when mail moves,
// and intake of new mail. Services start and stop their stages here; mail in the queue of a
// stopped stage simply waits.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { StageName } from '../core/mail.ts';
import { isStage } from '../core/mail.ts';
import type { NewMail, Store } from '../store/store.ts';
import type { Logger } from '../services/log-manager/logger.ts';
import type { Stage } from './stage.ts';
import { StageRunner } from './stage-runner.ts';

export interface FlowEngineOptions {
  store: Store;
  log: Logger;
  leaseMs: number;
  concurrency: number;
}

export class FlowEngine {
  /** Lease owner id of this process: host, pid and a nonce. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly runners = new Map<StageName, StageRunner>();

  constructor(private readonly o: FlowEngineOptions) {}

  /** Starts processing a stage for a service. */
  startStage(stage: Stage, actor: string, configured: () => boolean): void {
    let r = this.runners.get(stage.name);
    if (!r) {
      r = new StageRunner({
        store: this.o.store,
        stage,
        owner: this.owner,
        leaseMs: this.o.leaseMs,
        concurrency: this.o.concurrency,
        log: this.o.log.child(actor),
        actor,
        configured,
        onMoved: (q) => this.notify(q),
      });
      this.runners.set(stage.name, r);
    }
    r.start();
  }

  async stopStage(name: StageName, deadlineMs?: number): Promise<void> {
    const r = this.runners.get(name);
    if (r) {
      await r.stop(deadlineMs);
      this.runners.delete(name);
    }
  }

  isRunning(name: StageName): boolean {
    return this.runners.get(name)?.active ?? false;
  }

  notify(queue: string): void {
    if (isStage(queue)) this.runners.get(queue)?.notify();
  }

  /** Takes new mail into the flow; resolves once it is durable. */
  async submit(mails: NewMail[]): Promise<void> {
    await this.o.store.queue.insert(mails);
    for (const q of new Set(mails.map((m) => m.queue))) this.notify(q);
  }
}
