// The appliance in one place: opens the store, builds every service, wires the mail flow
// (smtp-receiver → seal-in → spamfinder → depot → seal-out → deliver) and boots the supervisor.
import { existsSync, mkdirSync, readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config/schema.ts';
import { FlowEngine } from './flow/flow-engine.ts';
import type { Store } from './store/store.ts';
import { openSqliteStore } from './store/sqlite/open.ts';
import { openPostgresStore } from './store/postgres/open.ts';
import { createLogger, pinoSink, type Logger, type LogSink } from './services/log-manager/logger.ts';
import { LogManager } from './services/log-manager/index.ts';
import { SmtpReceiver } from './services/smtp-receiver/index.ts';
import { createSmtpSender } from './services/smtp-sender/index.ts';
import { createMailSealer } from './services/mail-sealer/index.ts';
import { createSpamfinder } from './services/spamfinder/index.ts';
import { BatvTags } from './services/spamfinder/batv.ts';
import { MailDepot } from './services/mail-depot/index.ts';
import { ComplianceLog } from './services/compliance-log/index.ts';
import { createComplianceControl } from './services/compliance-log/control.ts';
import { PortalCrypt } from './services/portal-crypt/index.ts';
import { FuzzyFilter } from './services/fuzzy-filter/index.ts';
import { VirusScanner } from './services/virus-scanner/index.ts';
import { Pop3Proxy } from './services/pop3-proxy/index.ts';
import { RemoteSupport } from './services/remote-support/index.ts';
import { createAdminRelay } from './services/remote-support/admin-relay.ts';
import type { ComplianceRecorder } from './services/compliance-log/recorder.ts';
import { Supervisor } from './services/system-manager/supervisor.ts';
import { SystemManager } from './services/system-manager/index.ts';
import { createApplianceControl } from './services/system-manager/appliance-control.ts';
import { auditedControl } from './services/system-manager/audited-control.ts';
import { Metrics } from './services/system-manager/metrics.ts';
import { ClusterNode } from './services/system-manager/cluster-node.ts';
import type { ApplianceControl } from './services/system-manager/control.ts';
import type { Service } from './services/service.ts';
import { loadOrCreateAdminToken } from './admin/admin-token.ts';
import { createUserControl, ensureFirstAdmin } from './admin/auth/users.ts';
import { createLdapAuthenticator } from './admin/auth/ldap.ts';

export const VERSION = '0.1.0';

export interface ApplianceOptions {
  /** A store to use instead of the embedded default (tests inject faults this way). */
  store?: Store;
  /** Extra log sinks (tests); stdout JSON lines unless `quiet`. */
  sinks?: LogSink[];
  quiet?: boolean;
}

/** One process owns a data directory: a second gateway on the same files would corrupt the queue. */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'gatehouse.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`data directory ${dataDir} is in use by process ${pid}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

export class Appliance {
  /** This node in the appliance: heartbeat and service commands (set once started). */
  cluster?: ClusterNode;
  private constructor(
    readonly config: Config,
    readonly store: Store,
    readonly engine: FlowEngine,
    readonly supervisor: Supervisor,
    readonly control: ApplianceControl,
    readonly log: Logger,
    readonly services: Service[],
    private readonly unlock: () => void,
    private readonly logManager: LogManager,
  ) {}

  static async start(config: Config, opts: ApplianceOptions = {}): Promise<Appliance> {
    mkdirSync(config.dataDir, { recursive: true });
    const unlock = lockDataDir(config.dataDir);
    try {
      // Cluster mode: every node on one PostgreSQL (database.url); otherwise the embedded SQLite.
      const store =
        opts.store ??
        (config.database.url
          ? await openPostgresStore({ url: config.database.url, poolSize: config.database.poolSize, nodeId: config.nodeId })
          : openSqliteStore(config.dataDir));
      const logs = store.logs;
      const logManager = new LogManager(logs, { ms: config.log.retentionDays * 86_400_000, queue: store.queue });
      const sinks: LogSink[] = [...(opts.quiet ? [] : [pinoSink(config.log.level)]), logManager.sink, ...(opts.sinks ?? [])];
      const log = createLogger('system-manager', sinks, config.log.level === 'trace' || config.log.level === 'debug' ? config.log.level : 'info');

      await recover(store, log);

      const engine = new FlowEngine({ store, log, leaseMs: config.flow.lease, concurrency: config.flow.concurrency });
      let control: ApplianceControl | null = null;
      // The compliance log as pop3-proxy and remote-support write it: whichever compliance-log
      // service the list below holds (it fails closed while there is none that records).
      const recorder: ComplianceRecorder = {
        record: (e) => {
          const c = services.find((s) => s.name === 'compliance-log') as Partial<ComplianceRecorder> | undefined;
          return c?.record ? c.record(e) : Promise.reject(new Error('the compliance log is not available'));
        },
      };
      const pop3 = new Pop3Proxy({ config, submit: (m) => engine.submit(m), bodies: store.bodies, uidls: store.pop3, settings: store.settings, recorder, log: log.child('pop3-proxy') });
      const support = new RemoteSupport({
        config,
        recorder,
        log: log.child('remote-support'),
        relay: () => createAdminRelay(control!, log.child('remote-support')),
        lifecycle: () => ({
          activate: async () => {
            await supervisor.setEnabled('remote-support', true);
            await supervisor.start('remote-support');
          },
          deactivate: async () => void (await supervisor.setEnabled('remote-support', false)),
        }),
      });
      const compliance = new ComplianceLog(store.compliance, log.child('compliance-log'));
      const depot = new MailDepot({ config, store: store.archive, settings: store.settings, recorder, complianceReader: compliance, flow: { bodies: store.bodies, submit: (m) => engine.submit(m) }, log: log.child('mail-depot') });
      const scanner = new VirusScanner({ config, log: log.child('virus-scanner') });
      scanner.enabled = () => supervisor.get('virus-scanner').enabled;
      const fuzzy = new FuzzyFilter({ config, store: store.spam, log: log.child('fuzzy-filter') });
      const spamfinder = createSpamfinder({ config, store, engine, log: log.child('spamfinder'), scanner, fuzzy });
      // BATV: smtp-sender signs outbound return paths, smtp-receiver checks the bounces (one key, in the settings).
      const batv = new BatvTags(store.settings, config.spamfinder.batv);
      const portal = new PortalCrypt({ config, store: store.portal, bodies: store.bodies, settings: store.settings, submit: (m) => engine.submit(m), recorder, log: log.child('portal-crypt') });
      const sealer = createMailSealer({
        config,
        keys: store.keys,
        settings: store.settings,
        recorder,
        log: log.child('mail-sealer'),
        portal: () => ({
          state: () => (!portal.configured() || !supervisor.get('portal-crypt').enabled ? 'absent' : supervisor.isActive('portal-crypt') ? 'ready' : 'down'),
          passwordHeader: portal.passwordHeader,
          deposit: (r) => portal.deposit(r),
        }),
      });
      const services: Service[] = [
        logManager,
        compliance,
        new SystemManager({ control: () => control!, token: loadOrCreateAdminToken(config.dataDir), listen: config.admin.listen, log: log.child('system-manager') }),
        new SmtpReceiver({ config, engine, bodies: store.bodies, log: log.child('smtp-receiver'), batv }),
        pop3,
        sealer,
        portal,
        spamfinder,
        fuzzy,
        scanner,
        depot,
        createSmtpSender({ config, log: log.child('smtp-sender'), batv }),
        support,
      ];
      // Service states go to the compliance log as they happen (boot, admin, failures, cascades).
      const onChange = (service: string, state: string, error: string | null) => {
        const action = ({ running: 'service.running', stopped: 'service.stopped', failed: 'service.failed' } as Record<string, string>)[state];
        if (action) compliance.recordQuietly({ category: 'service', action, actor: 'supervisor', subject: service, detail: error ? { error } : undefined });
      };
      const supervisor = new Supervisor(services, { engine, settings: store.settings, log, onChange, nodeId: config.nodeId });
      // Per-node service states as a heartbeat; service commands from other nodes (cluster).
      const cluster = new ClusterNode({ settings: store.settings, supervisor, log: log.child('system-manager'), version: VERSION });
      const metrics = new Metrics(store.queue, () => supervisor);
      control = {
        ...auditedControl(createApplianceControl({ store, engine, supervisor, log, metrics, hostname: config.hostname, version: VERSION, startedAt: Date.now(), cluster }), compliance, log),
        compliance: createComplianceControl(compliance),
        archive: depot.access,
        pop3,
        remoteSupport: support.control,
        spamfinder: spamfinder.control,
        sealer: sealer.control,
        ...(portal.control ? { portal: portal.control } : {}),
        ...(store.users ? { users: createUserControl(store.users, compliance, store, config.admin.ldap ? createLdapAuthenticator(config.admin.ldap) : null) } : {}),
      };
      // First start: the first console admin, its password printed once (and left in dataDir).
      if (store.users) await ensureFirstAdmin(store.users, config.dataDir, (line) => void process.stdout.write(line));
      await supervisor.boot();
      await cluster.start();
      log.info(`gatehouse ${VERSION} ready`, { dataDir: config.dataDir, smtp: config.smtp.listen, admin: config.admin.listen });
      const appliance = new Appliance(config, store, engine, supervisor, control, log, services, unlock, logManager);
      appliance.cluster = cluster;
      return appliance;
    } catch (err) {
      unlock();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.log.info('gatehouse stopping');
    await this.cluster?.stop();
    await this.supervisor.shutdown();
    await this.cluster?.leave();
    await (this.services.find((s) => s instanceof ComplianceLog) as ComplianceLog | undefined)?.idle();
    await this.logManager.flush();
    await this.store.close();
    this.unlock();
  }
}

/**
 * After a crash: leases of the dead process go back to their queues, half-written bodies
 * (never acknowledged) are dropped, and bodies no mail refers to are removed.
 * A store shared by a cluster (PostgreSQL) differs: other nodes hold leases, so none are
 * released (it has no releaseAllLeases; a dead node's leases expire), and its bodies sweeps
 * (clearTmp, settledKeys) leave out bodies younger than a grace period, because another node
 * commits a body a moment before it inserts the mail. Body keys are read before the live set,
 * so a mail inserted in between is seen.
 */
async function recover(store: Store, log: Logger): Promise<void> {
  const q = store.queue as { releaseAllLeases?: () => number };
  const released = q.releaseAllLeases ? q.releaseAllLeases() : 0;
  const b = store.bodies as { clearTmp?: () => Promise<number>; settledKeys?: () => Promise<string[]> };
  const tmp = b.clearTmp ? await b.clearTmp() : 0;
  const keys = b.settledKeys ? await b.settledKeys() : await store.bodies.keys();
  const live = await store.queue.liveBodyKeys();
  let orphans = 0;
  for (const k of keys) {
    if (!live.has(k)) {
      await store.bodies.remove(k);
      orphans++;
    }
  }
  if (released || tmp || orphans) log.warn(`recovered after an unclean stop: ${released} lease(s) returned, ${tmp} unfinished body file(s) and ${orphans} orphaned body file(s) removed`);
}
