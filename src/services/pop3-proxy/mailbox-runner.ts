// One mailbox's schedule and status: a fetch on its interval or on demand, never two at once,
// and whatever goes wrong (a wrong password, a server that does not answer) stays this
// mailbox's lastError: it never reaches the other mailboxes or the service.
import { mailboxPort, type Pop3Mailbox } from './config.ts';
import { fetchMailbox, type FetchDeps, type FetchResult } from './mailbox-fetch.ts';
import type { Pop3Error } from './pop3-error.ts';

/** What the API shows for a mailbox (never the password). */
export interface MailboxStatus {
  name: string;
  source: 'config' | 'api';
  host: string;
  port: number;
  tls: Pop3Mailbox['tls'];
  user: string;
  deliverTo: string;
  keep: boolean;
  /** Seconds between fetches. */
  interval: number;
  state: 'idle' | 'fetching' | 'stopped';
  /** When the last fetch ended (ms since the epoch), successful or not. */
  lastFetchAt: number | null;
  lastSuccessAt: number | null;
  /** Mails the last successful fetch brought in. */
  lastCount: number;
  /** Mails fetched from this mailbox so far. */
  totalFetched: number;
  /** Messages the server listed at the last successful fetch. */
  onServer: number | null;
  lastError: string | null;
  /** Pop3Error code (POP3_AUTH, POP3_CONNECT, …) or INTERNAL. */
  lastErrorCode: string | null;
  nextFetchAt: number | null;
}

/** The part of a status kept across restarts. */
export type PersistedStatus = Pick<MailboxStatus, 'lastFetchAt' | 'lastSuccessAt' | 'lastCount' | 'totalFetched' | 'onServer' | 'lastError' | 'lastErrorCode'>;

export interface FetchOutcome {
  ok: boolean;
  result: FetchResult | null;
  error: string | null;
}

export interface RunnerHooks {
  /** After every fetch: persist the status, write the compliance record. */
  fetched(runner: MailboxRunner, outcome: FetchOutcome): Promise<void>;
}

/** A running fetch is asked to stop between messages first, then aborted after this long. */
const STOP_GRACE_MS = 5000;

export class MailboxRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<FetchOutcome> | null = null;
  private abort: AbortController | null = null;
  private active = false;
  private readonly s: PersistedStatus;
  private nextAt: number | null = null;

  constructor(
    readonly mailbox: Pop3Mailbox,
    readonly source: 'config' | 'api',
    private readonly deps: FetchDeps,
    private readonly hooks: RunnerHooks,
    persisted?: Partial<PersistedStatus>,
  ) {
    this.s = { lastFetchAt: null, lastSuccessAt: null, lastCount: 0, totalFetched: 0, onServer: null, lastError: null, lastErrorCode: null, ...persisted };
  }

  get name(): string {
    return this.mailbox.name;
  }

  /** Starts the schedule: the first fetch right away, then every interval after each fetch. */
  start(): void {
    this.active = true;
    this.schedule(0);
  }

  /** Stops the schedule; a running fetch finishes its message and quits, or is cut off after a grace. */
  async stop(): Promise<void> {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = null;
    const r = this.running;
    if (!r) return;
    const ctl = this.abort!;
    const grace = setTimeout(() => ctl.abort(), STOP_GRACE_MS);
    this.stopAsked?.abort();
    await r.catch(() => undefined);
    clearTimeout(grace);
  }

  /** Set while stopping: fetches end between messages. */
  private stopAsked: AbortController | null = null;

  /** Fetches now (after a fetch already running) and resolves with how it went. */
  async fetchNow(): Promise<FetchOutcome> {
    if (this.running) await this.running.catch(() => undefined);
    return this.run();
  }

  status(): MailboxStatus {
    const m = this.mailbox;
    return {
      name: m.name,
      source: this.source,
      host: m.host,
      port: mailboxPort(m),
      tls: m.tls,
      user: m.user,
      deliverTo: m.deliverTo,
      keep: m.keep,
      interval: Math.round(m.interval / 1000),
      state: this.running ? 'fetching' : this.active ? 'idle' : 'stopped',
      ...this.s,
      nextFetchAt: this.nextAt,
    };
  }

  persisted(): PersistedStatus {
    return { ...this.s };
  }

  private schedule(delay: number): void {
    if (!this.active) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.running) void this.run();
    }, delay);
  }

  private run(): Promise<FetchOutcome> {
    const ctl = new AbortController();
    this.abort = ctl;
    this.stopAsked = new AbortController();
    const p = this.fetch(ctl.signal, this.stopAsked.signal).finally(() => {
      if (this.running === p) this.running = null;
      this.schedule(this.mailbox.interval);
    });
    this.running = p;
    return p;
  }

  private async fetch(abort: AbortSignal, stopAsked: AbortSignal): Promise<FetchOutcome> {
    let outcome: FetchOutcome;
    try {
      const result = await fetchMailbox(this.mailbox, this.deps, abort, stopAsked);
      this.s.lastSuccessAt = Date.now();
      this.s.lastCount = result.mailIds.length;
      this.s.totalFetched += result.mailIds.length;
      this.s.onServer = result.onServer;
      this.s.lastError = null;
      this.s.lastErrorCode = null;
      outcome = { ok: true, result, error: null };
    } catch (err) {
      const code = (err as Pop3Error).name === 'Pop3Error' ? (err as Pop3Error).code : 'INTERNAL';
      if (code === 'POP3_ABORTED') return { ok: false, result: null, error: (err as Error).message }; // stopped, not failed
      this.s.lastError = (err as Error).message;
      this.s.lastErrorCode = code;
      this.deps.log.warn(`mailbox ${this.name}: fetch failed: ${(err as Error).message}`, { mailbox: this.name, code });
      outcome = { ok: false, result: null, error: (err as Error).message };
    }
    this.s.lastFetchAt = Date.now();
    await this.hooks.fetched(this, outcome).catch((err: Error) => this.deps.log.warn(`mailbox ${this.name}: ${err.message}`));
    return outcome;
  }
}
