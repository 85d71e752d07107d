// Quarantine reports: at the configured times (UTC) every local recipient with newly held spam
// gets one report mail listing it, each entry with a signed, expiring release link. The time of
// the last run is kept in the settings store, so a restart neither skips nor repeats a report.
import type { Envelope } from '../../../core/mail.ts';
import { newMailId } from '../../../core/ids.ts';
import type { FlowEngine } from '../../../flow/flow-engine.ts';
import type { MailRecord } from '../../../core/mail.ts';
import type { Store } from '../../../store/store.ts';
import type { Logger } from '../../log-manager/logger.ts';
import type { SpamfinderConfig } from '../config.ts';
import type { SpamVerdict } from '../stage.ts';
import type { LinkSigner } from './link-signer.ts';
import { buildReport, type ReportedMail } from './report-mail.ts';

const LAST_RUN = 'spamfinder:reports:lastRun';
const PAGE = 500;

export interface ReportsDeps {
  config: SpamfinderConfig['reports'];
  hostname: string;
  domains: string[];
  /** Base URL of the release server as users reach it, e.g. "https://gate.example.com:8026". */
  baseUrl: string;
  store: Store;
  engine: FlowEngine;
  signer: LinkSigner;
  log: Logger;
}

/** The latest configured time of day (UTC) at or before `now`. */
export function lastSlot(times: string[], now: number): number {
  const day = Math.floor(now / 86_400_000) * 86_400_000;
  let best = -Infinity;
  for (const t of times) {
    const [h, m] = t.split(':').map(Number);
    for (const d of [day, day - 86_400_000]) {
      const at = d + h * 3_600_000 + m * 60_000;
      if (at <= now && at > best) best = at;
    }
  }
  return best;
}

export class QuarantineReports {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly d: ReportsDeps) {}

  start(): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.due()
        .then((due) => (due ? this.send() : null))
        .catch((err: Error) => this.d.log.warn('quarantine reports failed; next try in a minute', { err }))
        .finally(() => (this.running = null));
    };
    this.timer = setInterval(tick, 30_000);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async due(now = Date.now()): Promise<boolean> {
    const last = (await this.d.store.settings.get<number>(LAST_RUN)) ?? 0;
    return lastSlot(this.d.config.times, now) > last;
  }

  /** Sends the reports for everything held since the last run; returns what was sent. */
  async send(now = Date.now()): Promise<{ reports: number; mails: number }> {
    const since = (await this.d.store.settings.get<number>(LAST_RUN)) ?? 0;
    const held: MailRecord[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.d.store.queue.list({ queue: 'quarantine:spam', limit: PAGE, offset });
      held.push(...page.filter((m) => m.queuedAt > since && m.queuedAt <= now));
      if (page.length < PAGE) break;
    }
    const local = new Set(this.d.domains.map((x) => x.toLowerCase()));
    const byRecipient = new Map<string, ReportedMail[]>();
    for (const m of held) {
      const v = m.envelope.meta?.spamfinder as Partial<SpamVerdict> | undefined;
      for (const r of m.envelope.recipients) {
        const a = r.address.toLowerCase();
        if (!local.has(a.slice(a.lastIndexOf('@') + 1))) continue;
        const list = byRecipient.get(a) ?? [];
        list.push({ id: m.id, sender: m.envelope.sender, subject: v?.subject ?? '', receivedAt: m.receivedAt, filter: v?.filter ?? null });
        byRecipient.set(a, list);
      }
    }
    const exp = now + this.d.config.linkTtl;
    const base = this.d.baseUrl.replace(/\/$/, '');
    for (const [recipient, mails] of byRecipient) {
      const body = buildReport({
        hostname: this.d.hostname,
        recipient,
        mails: mails.sort((a, b) => a.receivedAt - b.receivedAt),
        link: (mailId) => `${base}/quarantine/release?t=${this.d.signer.sign({ mailId, recipient, exp })}`,
        now,
        linksExpire: exp,
      });
      const id = newMailId();
      const w = await this.d.store.bodies.create(id);
      await w.write(body);
      await w.commit();
      const envelope: Envelope = { sender: '', recipients: [{ address: recipient, status: 'pending' }], direction: 'internal', source: 'report' };
      await this.d.engine.submit([
        { id, queue: 'deliver', envelope, bodyKey: id, size: body.length, receivedAt: now, event: { event: 'received', actor: 'spamfinder', detail: { report: 'quarantine', mails: mails.length } } },
      ]);
    }
    await this.d.store.settings.set(LAST_RUN, now);
    if (byRecipient.size) this.d.log.info(`sent ${byRecipient.size} quarantine report(s) covering ${held.length} held mail(s)`);
    return { reports: byRecipient.size, mails: held.length };
  }
}
