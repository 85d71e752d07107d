// pop3-proxy: fetches external POP3 mailboxes into the mail flow (the same intake as
// smtp-receiver). Mailboxes come from the config file and from the API (kept in the settings);
// each runs on its own schedule (mailbox-runner.ts) and fails on its own. The service has no
// stage, so stopping or deactivating it only stops fetching; the rest of the flow runs on.
import type { Config } from '../../config/schema.ts';
import type { BodyStore, NewMail, Pop3UidlStore, SettingsStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { ControlError } from '../system-manager/control.ts';
import { pop3MailboxSchema, type Pop3Mailbox, type Pop3MailboxInput } from './config.ts';
import type { Pop3Control, Pop3FetchReport } from './control.ts';
import type { FetchDeps } from './mailbox-fetch.ts';
import { MailboxRunner, type FetchOutcome, type MailboxStatus, type PersistedStatus } from './mailbox-runner.ts';

const MAILBOXES_KEY = 'pop3:mailboxes';
const STATUS_KEY = 'pop3:status';

export interface Pop3ProxyDeps {
  config: Pick<Config, 'hostname' | 'pop3'> & { smtp: Pick<Config['smtp'], 'maxMessageSize'> };
  /** The flow's intake: FlowEngine.submit. */
  submit(mails: NewMail[]): Promise<void>;
  bodies: BodyStore;
  uidls: Pop3UidlStore;
  settings: SettingsStore;
  recorder: ComplianceRecorder;
  log: Logger;
  /** Tests: called after each mail is durable, before its DELE. */
  onFetched?: FetchDeps['onFetched'];
}

export class Pop3Proxy implements Service, Pop3Control {
  readonly name = 'pop3-proxy' as const;
  readonly kind = 'ingress' as const;
  readonly description = 'Fetches configured POP3 mailboxes at intervals into the mail flow';
  readonly essential = false;
  readonly deactivatable = true;
  readonly mailHandling = true;
  onFailure?: (err: Error) => void;

  private readonly runners = new Map<string, MailboxRunner>();
  private loaded: Promise<void> | null = null;
  private running = false;
  private readonly fetchDeps: FetchDeps;

  constructor(private readonly d: Pop3ProxyDeps) {
    this.fetchDeps = {
      submit: (m) => d.submit(m),
      bodies: d.bodies,
      uidls: d.uidls,
      log: d.log,
      hostname: d.config.hostname,
      maxMessageSize: d.config.smtp.maxMessageSize,
      onFetched: d.onFetched,
    };
  }

  configured(): boolean {
    return this.d.config.pop3.mailboxes.length > 0 || [...this.runners.values()].some((r) => r.source === 'api');
  }

  async start(): Promise<void> {
    await this.load();
    this.running = true;
    for (const r of this.runners.values()) r.start();
    if (this.runners.size) this.d.log.info(`fetching ${this.runners.size} POP3 mailbox(es): ${[...this.runners.keys()].join(', ')}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }

  // --- Pop3Control ---

  async list(): Promise<MailboxStatus[]> {
    await this.load();
    return [...this.runners.values()].map((r) => r.status());
  }

  async get(name: string): Promise<MailboxStatus> {
    return (await this.runner(name)).status();
  }

  async fetch(name: string, actor: string): Promise<Pop3FetchReport> {
    const r = await this.runner(name);
    if (!this.running) throw new ControlError('SERVICE_NOT_RUNNING', 'pop3-proxy is not running; start it to fetch mailboxes');
    this.d.log.info(`mailbox ${name}: fetch asked by ${actor}`, { mailbox: name });
    const o = await r.fetchNow();
    return {
      ok: o.ok,
      fetched: o.result?.mailIds.length ?? 0,
      deleted: o.result?.deleted ?? 0,
      skipped: o.result?.skipped ?? 0,
      error: o.error,
      mailbox: r.status(),
    };
  }

  async put(input: unknown, actor: string): Promise<MailboxStatus> {
    await this.load();
    const parsed = pop3MailboxSchema.safeParse(input);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new ControlError('MAILBOX_INVALID', `${i.path.length ? `"${i.path.join('.')}": ` : ''}${i.message}`);
    }
    const m = parsed.data;
    if (this.d.config.pop3.mailboxes.some((c) => c.name === m.name)) {
      throw new ControlError('MAILBOX_IN_CONFIG', `mailbox ${m.name} is defined in the config file; change it there`);
    }
    const stored = ((await this.d.settings.get<Pop3MailboxInput[]>(MAILBOXES_KEY)) ?? []).filter((x) => x.name !== m.name);
    stored.push(input as Pop3MailboxInput);
    await this.d.settings.set(MAILBOXES_KEY, stored);
    const old = this.runners.get(m.name);
    await old?.stop();
    const r = this.newRunner(m, 'api', old?.persisted());
    this.runners.set(m.name, r);
    if (this.running) r.start();
    await this.d.recorder.record({
      category: 'admin',
      action: old ? 'pop3.mailbox.change' : 'pop3.mailbox.add',
      actor,
      subject: m.name,
      detail: { host: m.host, port: r.status().port, tls: m.tls, user: m.user, deliverTo: m.deliverTo, keep: m.keep },
    });
    this.d.log.info(`mailbox ${m.name} ${old ? 'changed' : 'added'} by ${actor}`, { mailbox: m.name });
    return r.status();
  }

  async remove(name: string, actor: string): Promise<void> {
    const r = await this.runner(name);
    if (r.source === 'config') throw new ControlError('MAILBOX_IN_CONFIG', `mailbox ${name} is defined in the config file; remove it there`);
    await r.stop();
    this.runners.delete(name);
    const stored = ((await this.d.settings.get<Pop3MailboxInput[]>(MAILBOXES_KEY)) ?? []).filter((x) => x.name !== name);
    await this.d.settings.set(MAILBOXES_KEY, stored);
    await this.persistStatus();
    // Its UIDLs stay: a mailbox added again under this name does not fetch the same mail twice.
    await this.d.recorder.record({ category: 'admin', action: 'pop3.mailbox.remove', actor, subject: name });
    this.d.log.info(`mailbox ${name} removed by ${actor}`, { mailbox: name });
  }

  // --- internals ---

  private async runner(name: string): Promise<MailboxRunner> {
    await this.load();
    const r = this.runners.get(name);
    if (!r) throw new ControlError('MAILBOX_NOT_FOUND', `no POP3 mailbox named "${name}"`);
    return r;
  }

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const persisted = (await this.d.settings.get<Record<string, PersistedStatus>>(STATUS_KEY)) ?? {};
      for (const m of this.d.config.pop3.mailboxes) this.runners.set(m.name, this.newRunner(m, 'config', persisted[m.name]));
      for (const raw of (await this.d.settings.get<Pop3MailboxInput[]>(MAILBOXES_KEY)) ?? []) {
        const p = pop3MailboxSchema.safeParse(raw);
        if (!p.success || this.runners.has(p.data.name)) {
          this.d.log.warn(`ignoring a stored POP3 mailbox (${p.success ? `"${p.data.name}" is in the config file too` : p.error.issues[0].message})`);
          continue;
        }
        this.runners.set(p.data.name, this.newRunner(p.data, 'api', persisted[p.data.name]));
      }
    })().catch((err) => {
      this.loaded = null;
      throw err;
    });
    return this.loaded;
  }

  private newRunner(m: Pop3Mailbox, source: 'config' | 'api', persisted?: PersistedStatus): MailboxRunner {
    return new MailboxRunner(m, source, this.fetchDeps, { fetched: (r, o) => this.fetched(r, o) }, persisted);
  }

  private async fetched(r: MailboxRunner, o: FetchOutcome): Promise<void> {
    await this.persistStatus();
    if (o.result && (o.result.mailIds.length || o.result.deleted)) {
      await this.d.recorder.record({
        category: 'mail',
        action: 'pop3.fetch',
        actor: 'pop3-proxy',
        subject: r.name,
        detail: { mailIds: o.result.mailIds, deletedOnServer: o.result.deleted, server: `${r.mailbox.host}:${r.status().port}`, deliverTo: r.mailbox.deliverTo },
      });
    }
  }

  private persistStatus(): Promise<void> {
    const all: Record<string, PersistedStatus> = {};
    for (const [n, r] of this.runners) all[n] = r.persisted();
    return this.d.settings.set(STATUS_KEY, all);
  }
}

