// spamfinder: stage spamfinder, the phase-2 content filters (allow/block lists, FUZZY, SRC, DMARC,
// Bayes, virus scan through the virus-scanner service, CISS) that decide a verdict, an action
// from the filter profile and the queue: on to depot, a quarantine, or declined. It also runs the
// quarantine retention, the quarantine reports and the server for the links they and CISS mail
// out. It works out of the box: lists empty, Bayes silent until trained, virus scan once a clamd
// is configured, reports and CISS when switched on.
import type { Config } from '../../config/schema.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import type { VirusScanner } from '../virus-scanner/index.ts';
import type { FuzzyFilter } from '../fuzzy-filter/index.ts';
import { BayesFilter } from './bayes/bayes-filter.ts';
import { Ciss, CISS_CONFIRM_PATH } from './ciss.ts';
import { createSpamfinderControl, type SpamfinderControl } from './control.ts';
import { FilterLists } from './lists.ts';
import { createLinkSigner, loadOrCreateLinkKey } from './reports/link-signer.ts';
import { LinkServer, type LinkRoute } from './reports/link-server.ts';
import { QuarantineReports } from './reports/quarantine-reports.ts';
import { purgeExpired } from './retention.ts';
import { SenderCallout } from './sender-callout.ts';
import { createSpamfinderStage, type SpamVerdict } from './stage.ts';

export interface SpamfinderDeps {
  config: Config;
  store: Store;
  engine: FlowEngine;
  log: Logger;
  scanner: VirusScanner | null;
  fuzzy: FuzzyFilter | null;
}

export type SpamfinderService = Service & { control: SpamfinderControl; bayes: BayesFilter; lists: FilterLists };

export function createSpamfinder(d: SpamfinderDeps): SpamfinderService {
  const c = d.config;
  const cfg = c.spamfinder;
  const lists = new FilterLists(cfg.lists, d.store.spam);
  const bayes = new BayesFilter(d.store.spam, cfg.bayes, d.store.settings, (err) => d.log.warn('could not calibrate the content filter to this site', { err }));
  const callout = cfg.src.enabled
    ? new SenderCallout({ hostname: c.hostname, dns: { servers: c.dns.servers, timeout: c.dns.timeout }, timeout: cfg.src.timeout, cacheTtl: cfg.src.cacheTtl, port: c.delivery.mxPort })
    : null;
  const control = createSpamfinderControl({ store: d.store, engine: d.engine, lists, bayes, fuzzy: d.fuzzy, log: d.log, config: cfg });

  // Signed links (quarantine release, CISS confirmation) and the small HTTP server behind them.
  const needLinks = cfg.reports.enabled || Ciss.wanted(cfg);
  const signer = needLinks ? createLinkSigner(loadOrCreateLinkKey(c.dataDir)) : null;
  const baseUrl = cfg.links.url ?? `http://${c.hostname}:${cfg.links.listen.slice(cfg.links.listen.lastIndexOf(':') + 1)}`;
  const routes: Record<string, LinkRoute> = {};
  const heldIn = async (queue: string, mailId: string, ok: (m: NonNullable<Awaited<ReturnType<Store['queue']['get']>>>) => boolean) => {
    const m = await d.store.queue.get(mailId);
    if (!m || m.queue !== queue || !ok(m)) return null;
    return { sender: m.envelope.sender, subject: (m.envelope.meta?.spamfinder as Partial<SpamVerdict> | undefined)?.subject ?? '' };
  };

  let reports: QuarantineReports | null = null;
  if (cfg.reports.enabled && signer) {
    reports = new QuarantineReports({ config: cfg.reports, hostname: c.hostname, domains: c.domains, baseUrl, store: d.store, engine: d.engine, signer, log: d.log });
    routes['/quarantine/release'] = {
      find: (claim) => heldIn('quarantine:spam', claim.mailId, (m) => m.envelope.recipients.some((r) => r.address.toLowerCase() === claim.recipient)),
      act: async (claim) => {
        await control.quarantine.deliver(claim.mailId, `report-link:${claim.recipient}`);
      },
      question: 'Release this mail?',
      button: 'Release to my mailbox',
      done: 'Released: the mail is on its way to your mailbox.',
    };
  }
  control.reports = reports;

  let ciss: Ciss | null = null;
  if (Ciss.wanted(cfg) && signer) {
    ciss = new Ciss({ config: cfg, hostname: c.hostname, domains: c.domains, store: d.store.spam, signer, baseUrl });
    routes[CISS_CONFIRM_PATH] = {
      find: (claim) => heldIn('quarantine:ciss', claim.mailId, (m) => m.envelope.sender.toLowerCase() === claim.recipient),
      act: async (claim) => {
        const m = await d.store.queue.get(claim.mailId);
        const locals = new Set(c.domains.map((x) => x.toLowerCase()));
        // The sender is allow-listed for each local recipient of the mail (their own AWL).
        for (const r of m?.envelope.recipients ?? []) {
          const a = r.address.toLowerCase();
          if (locals.has(a.slice(a.lastIndexOf('@') + 1))) await d.store.spam.addListEntry({ list: 'awl', value: claim.recipient, owner: a, comment: `confirmed through CISS (mail ${claim.mailId})`, createdBy: 'ciss' });
        }
        await control.quarantine.deliver(claim.mailId, `ciss-confirm:${claim.recipient}`);
        d.log.info(`CISS: ${claim.recipient} confirmed; mail delivered and sender allow-listed`, { mailId: claim.mailId });
      },
      question: 'Confirm that you sent this mail',
      button: 'Yes, I sent it',
      done: 'Thank you: your mail has been delivered.',
    };
  }
  const linkServer = signer && Object.keys(routes).length ? new LinkServer({ listen: cfg.links.listen, signer, routes, log: d.log }) : null;

  const stage = createSpamfinderStage({ config: cfg, hostname: c.hostname, lists, bayes, scanner: d.scanner, fuzzy: d.fuzzy, callout, ciss });
  let timer: NodeJS.Timeout | null = null;
  return {
    name: 'spamfinder',
    kind: 'pipeline',
    description: 'Checks mail with the phase-2 filters (allow/block lists, FUZZY, SRC, DMARC, Bayes, virus, CISS) and moves it to Spam, Virus or CISS quarantine',
    essential: true,
    deactivatable: false,
    mailHandling: true,
    stages: [stage],
    configured: () => true,
    async start() {
      if (linkServer) await linkServer.start();
      reports?.start();
      // Retention is checked at least hourly, and often enough for short retention times.
      const r = cfg.retention;
      const every = Math.max(1000, Math.min(3_600_000, ...[r.spam, r.virus, r.ciss].filter((x) => x > 0).map((x) => x / 2)));
      const retention = { 'quarantine:spam': r.spam, 'quarantine:virus': r.virus, 'quarantine:ciss': r.ciss };
      const run = () => void purgeExpired(d.store, retention, Date.now(), d.log).catch((err: Error) => d.log.warn('quarantine retention run failed', { err }));
      timer = setInterval(run, every);
      timer.unref();
      run();
    },
    async stop() {
      bayes.close();
      if (timer) clearInterval(timer);
      timer = null;
      await reports?.stop();
      await linkServer?.stop();
    },
    control,
    bayes,
    lists,
  };
}
