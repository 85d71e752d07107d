// spamfinder: stage spamfinder, the phase-2 content filters (allow/block lists, DMARC, Bayes,
// virus scan through the virus-scanner service) that decide a verdict, an action from the filter
// profile and the queue: on to depot, a quarantine, or declined. It works out of the box: lists
// empty, Bayes silent until trained, virus scan once a clamd is configured.
import type { Config } from '../../config/schema.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import type { VirusScanner } from '../virus-scanner/index.ts';
import type { FuzzyFilter } from '../fuzzy-filter/index.ts';
import { BayesFilter } from './bayes/bayes-filter.ts';
import { createSpamfinderControl, type SpamfinderControl } from './control.ts';
import { FilterLists } from './lists.ts';
import { createSpamfinderStage } from './stage.ts';
import { SenderCallout } from './sender-callout.ts';

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
  const cfg = d.config.spamfinder;
  const lists = new FilterLists(cfg.lists, d.store.spam);
  const bayes = new BayesFilter(d.store.spam, cfg.bayes);
  const c = d.config;
  const callout = cfg.src.enabled
    ? new SenderCallout({ hostname: c.hostname, dns: { servers: c.dns.servers, timeout: c.dns.timeout }, timeout: cfg.src.timeout, cacheTtl: cfg.src.cacheTtl, port: c.delivery.mxPort })
    : null;
  const stage = createSpamfinderStage({ config: cfg, hostname: d.config.hostname, lists, bayes, scanner: d.scanner, fuzzy: d.fuzzy, callout });
  return {
    name: 'spamfinder',
    kind: 'pipeline',
    description: 'Checks mail with the phase-2 filters (allow/block lists, DMARC, Bayes, virus) and moves it to Spam, Virus or CISS quarantine',
    essential: true,
    deactivatable: false,
    mailHandling: true,
    stages: [stage],
    configured: () => true,
    async start() {},
    async stop() {},
    control: createSpamfinderControl({ store: d.store, engine: d.engine, lists, bayes, fuzzy: d.fuzzy, log: d.log }),
    bayes,
    lists,
  };
}
