// Runs one pipeline stage while its service runs: claims ready mail with a lease, processes up
// to `concurrency` mails at once, and hands each result to the store as one atomic move.
// Stopping stops claiming, lets in-flight mail finish until the deadline, then gives it back.
import type { QueueName, StageName } from '../core/mail.ts';
import { isFinal } from '../core/mail.ts';
import type { ClaimedMail, NewMail, Store, TrailEvent } from '../store/store.ts';
import { newMailId } from '../core/ids.ts';
import type { Logger } from '../services/log-manager/logger.ts';
import type { Stage, StageContext } from './stage.ts';
import { completionFor } from './outcome.ts';

export interface StageRunnerOptions {
  store: Store;
  stage: Stage;
  owner: string;
  leaseMs: number;
  concurrency: number;
  log: Logger;
  /** Service name recorded as the actor of tracking events. */
  actor: string;
  /** When false the stage is skipped: mail advances unchanged (service not configured). */
  configured: () => boolean;
  /** Called after a mail entered another queue, so its runner wakes at once. */
  onMoved: (queue: string) => void;
  /** Where mail entering a queue really stops (stages passed through unchanged). */
  passThrough: (queue: QueueName) => { queue: QueueName; trail: TrailEvent[] };
  /** Retry delay after a storage error, ms. */
  errorBackoffMs?: number;
}

export class StageRunner {
  readonly name: StageName;
  private running = false;
  private inFlight = new Map<string, Promise<void>>();
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loopDone: Promise<void> | null = null;
  private abort = new AbortController();
  private kicked = false;

  constructor(private readonly o: StageRunnerOptions) {
    this.name = o.stage.name;
  }

  get active(): boolean {
    return this.running;
  }

  get actor(): string {
    return this.o.actor;
  }

  configured(): boolean {
    return this.o.configured();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loopDone = this.loop();
  }

  /** Wakes the claim loop (new mail in this stage's queue). */
  notify(): void {
    this.kicked = true;
    const w = this.wake;
    if (w) {
      this.wake = null;
      w();
    }
  }

  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.notify();
    await this.loopDone;
    const all = Promise.allSettled(this.inFlight.values());
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), deadlineMs).unref());
    if ((await Promise.race([all.then(() => 'done' as const), timeout])) === 'timeout') {
      this.abort.abort(new Error('stage stopping'));
      await all;
    }
  }

  private async loop(): Promise<void> {
    const limit = this.o.stage.concurrency ?? this.o.concurrency;
    while (this.running) {
      const free = limit - this.inFlight.size;
      if (free <= 0) {
        // Every slot is busy: wait for one to free up. The kick that brought us here is used up;
        // left set, sleep() would return at once and this loop would spin on microtasks,
        // starving the event loop (seen as a hung gateway once a stage ran at its limit).
        this.kicked = false;
        await this.sleep(null);
        continue;
      }
      this.kicked = false;
      let claimed: ClaimedMail[];
      try {
        claimed = await this.o.store.queue.claim(this.name, this.o.owner, Math.min(free, 256), this.o.leaseMs);
      } catch (err) {
        this.o.log.error(`claim from ${this.name} failed`, { err: err as Error });
        await this.sleep(this.o.errorBackoffMs ?? 1000);
        continue;
      }
      for (const m of claimed) {
        const p = this.handle(m).finally(() => {
          this.inFlight.delete(m.id);
          this.notify();
        });
        this.inFlight.set(m.id, p);
      }
      if (claimed.length === free) continue; // maybe more waiting
      if (this.kicked) continue;
      const due = await this.o.store.queue.nextDue(this.name).catch(() => null);
      await this.sleep(due === null ? 30_000 : Math.max(0, due - Date.now()) + 5);
    }
  }

  private sleep(ms: number | null): Promise<void> {
    if (this.kicked || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      if (ms !== null) {
        this.timer = setTimeout(() => this.notify(), Math.min(ms, 30_000));
        this.timer.unref();
      }
    }).then(() => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    });
  }

  private async handle(mail: ClaimedMail): Promise<void> {
    const { store, stage, log } = this.o;
    let result;
    try {
      if (!this.o.configured()) {
        result = { outcome: { kind: 'advance' as const, note: 'not configured: passed on unchanged' } };
      } else {
        const ctx: StageContext = {
          openBody: () => store.bodies.open(mail.bodyKey),
          readBody: () => store.bodies.read(mail.bodyKey),
          bodies: store.bodies,
          log,
          signal: this.abort.signal,
        };
        result = await stage.process(mail, ctx);
      }
    } catch (err) {
      // A stage error is temporary by definition: the mail stays, the lease is given back.
      log.error(`${this.name} failed on a mail; it stays in the queue`, { mailId: mail.id, err: err as Error });
      await store.queue.release(mail.id, mail.leaseOwner).catch(() => undefined);
      return;
    }
    const generated: NewMail[] = [];
    try {
      for (const g of result.generated ?? []) {
        const id = newMailId();
        const w = await store.bodies.create(id);
        await w.write(g.body);
        await w.commit();
        generated.push({
          id,
          queue: g.queue ?? 'deliver',
          envelope: g.envelope,
          bodyKey: id,
          size: g.body.length,
          receivedAt: Date.now(),
          event: { event: 'received', actor: this.o.actor, detail: { generatedBy: mail.id, source: g.envelope.source } },
        });
      }
      const c = completionFor(this.name, mail, result, this.o.actor, generated);
      if (result.outcome.kind === 'advance' && c.queue !== this.name) {
        const { queue, trail } = this.o.passThrough(c.queue);
        if (trail.length) {
          c.eventQueue = c.queue;
          c.queue = queue;
          c.trail = trail;
        }
      }
      const ok = await store.queue.complete(c);
      if (!ok) {
        log.warn(`lease on a mail was lost before ${this.name} finished; another worker has it`, { mailId: mail.id });
        for (const g of generated) await store.bodies.remove(g.bodyKey);
        if (result.bodyKey) await store.bodies.remove(result.bodyKey);
        return;
      }
      // Each move is in the tracking events; the log keeps what an admin looks for.
      const lvl = c.event.event === 'advanced' ? 'debug' : 'info';
      log[lvl](`${c.event.event}${c.queue !== this.name ? ' to ' + c.queue : ''}`, { mailId: mail.id, reason: c.reason ?? undefined });
      if (c.queue !== this.name) this.o.onMoved(c.queue);
      for (const g of generated) this.o.onMoved(g.queue);
      if (result.bodyKey && result.bodyKey !== mail.bodyKey) await store.bodies.remove(mail.bodyKey).catch(() => undefined);
      if (isFinal(c.queue)) await store.bodies.remove(result.bodyKey ?? mail.bodyKey).catch(() => undefined);
    } catch (err) {
      log.error(`could not record the result of ${this.name}; the mail stays in the queue`, { mailId: mail.id, err: err as Error });
      for (const g of generated) await store.bodies.remove(g.bodyKey).catch(() => undefined);
      await store.queue.release(mail.id, mail.leaseOwner).catch(() => undefined);
    }
  }
}
