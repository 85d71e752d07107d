// The mail flow in one place: the stage order, one runner per stage, wake-ups when mail moves,
// and intake of new mail. Services start and stop their stages here; mail in the queue of a
// stopped stage simply waits.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { QueueName, StageName } from '../core/mail.ts';
import { isStage, nextStage } from '../core/mail.ts';
import type { NewMail, Store, TrailEvent } from '../store/store.ts';
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

  constructor(private readonly o: FlowEngineOptions) {
    // Cluster: mail another node made ready wakes this node's runner at once, not at its poll
    // timer. The store ends the subscription when it closes.
    o.store.queue.watch?.((queue) => this.notify(queue));
  }

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
        passThrough: (q) => this.passThrough(q),
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

  /**
   * Where a mail entering `queue` really stops: a stage whose service runs but is not configured
   * passes mail on unchanged, so the engine moves it on in the same step instead of claiming it
   * there, and records an event for each stage passed. A stopped service's stage always holds it.
   */
  passThrough(queue: QueueName): { queue: QueueName; trail: TrailEvent[] } {
    const trail: TrailEvent[] = [];
    let q = queue;
    for (;;) {
      if (!isStage(q)) break;
      const r = this.runners.get(q);
      if (!r || !r.active || r.configured()) break;
      const next = nextStage(q) ?? 'delivered';
      trail.push({ queue: next, event: { event: 'advanced', actor: r.actor, detail: { from: q, reason: 'not configured: passed on unchanged' } } });
      q = next;
    }
    return { queue: q, trail };
  }

  /** Takes new mail into the flow; resolves once it is durable. */
  async submit(mails: NewMail[]): Promise<void> {
    for (const m of mails) {
      if (m.trail) continue;
      const { queue, trail } = this.passThrough(m.queue);
      if (trail.length) {
        m.eventQueue = m.queue;
        m.queue = queue;
        m.trail = trail;
      }
    }
    await this.o.store.queue.insert(mails);
    for (const q of new Set(mails.map((m) => m.queue))) this.notify(q);
  }
}
