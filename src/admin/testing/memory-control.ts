// For tests only: an in-memory ApplianceControl with honest behaviour (the same ControlErrors
// the real one raises), so the API and CLI tests exercise their error mapping for real.
import { ALL_QUEUES, isFinal, isStage, type MailRecord, type QueueName } from '../../core/mail.ts';
import type { ServiceName, ServiceStatus } from '../../services/service.ts';
import { ControlError, type ApplianceControl, type MailDetail } from '../../services/system-manager/control.ts';
import type { LogQuery, LogRecord, MailFilter, TrackingEvent } from '../../store/store.ts';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

interface ServiceFixture {
  name: ServiceName;
  kind: ServiceStatus['kind'];
  essential: boolean;
  deactivatable: boolean;
  mailHandling: boolean;
  enabled?: boolean;
}

const SERVICES: ServiceFixture[] = [
  { name: 'system-manager', kind: 'infrastructure', essential: true, deactivatable: false, mailHandling: false },
  { name: 'smtp-receiver', kind: 'ingress', essential: false, deactivatable: false, mailHandling: true },
  { name: 'spamfinder', kind: 'pipeline', essential: false, deactivatable: true, mailHandling: true },
  { name: 'remote-support', kind: 'auxiliary', essential: false, deactivatable: true, mailHandling: false, enabled: false },
];

export interface MemoryControl extends ApplianceControl {
  /** Test hooks. */
  addMail(m: Partial<MailRecord> & { id: string; queue: QueueName }): MailRecord;
  lease(id: string): void;
  addLog(r: LogRecord): void;
  failNext(err: Error): void;
}

export function createMemoryControl(now: () => number = Date.now): MemoryControl {
  const services = new Map<string, ServiceStatus & { mailHandling: boolean }>();
  for (const f of SERVICES) {
    const enabled = f.enabled ?? true;
    services.set(f.name, {
      name: f.name,
      kind: f.kind,
      description: `the ${f.name} service`,
      state: enabled ? 'running' : 'stopped',
      since: now() - 3_600_000,
      lastError: null,
      enabled,
      configured: true,
      essential: f.essential,
      deactivatable: f.deactivatable,
      stages: f.name === 'spamfinder' ? ['spamfinder'] : [],
      mailHandling: f.mailHandling,
    });
  }
  const mails = new Map<string, MailRecord>();
  const events: TrackingEvent[] = [];
  const leased = new Set<string>();
  const logs: (LogRecord & { id: number })[] = [];
  let maintenance = false;
  let pendingFailure: Error | null = null;

  const publicStatus = ({ mailHandling: _m, ...s }: ServiceStatus & { mailHandling: boolean }): ServiceStatus => ({ ...s });
  const service = (name: string) => {
    const s = services.get(name);
    if (!s) throw new ControlError('SERVICE_NOT_FOUND', `no service named "${name}"`);
    return s;
  };
  const setState = (s: ServiceStatus, state: ServiceStatus['state']) => {
    s.state = state;
    s.since = now();
  };
  const startService = (s: ServiceStatus & { mailHandling: boolean }) => {
    if (!s.enabled) throw new ControlError('SERVICE_DEACTIVATED', `${s.name} is deactivated; activate it first`);
    if (maintenance && s.mailHandling) throw new ControlError('MAINTENANCE_MODE', `${s.name} handles mail and the appliance is in maintenance mode`);
    setState(s, 'running');
  };
  const checkFailure = () => {
    const e = pendingFailure;
    pendingFailure = null;
    if (e) throw e;
  };

  const mail = (id: string) => {
    const m = mails.get(id);
    if (!m) throw new ControlError('MAIL_NOT_FOUND', `no mail with id ${id}`);
    if (leased.has(id)) throw new ControlError('MAIL_BUSY', `mail ${id} is being processed`);
    return m;
  };
  const move = (m: MailRecord, to: QueueName, event: string, actor: string, extra: Partial<MailRecord> = {}) => {
    Object.assign(m, { queue: to, queuedAt: now(), ...extra });
    events.push({ mailId: m.id, at: now(), queue: to, event, actor });
    return { ...m };
  };
  const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  const matches = (m: MailRecord, f: MailFilter) =>
    (!f.queue || m.queue === f.queue) &&
    (f.deferred === undefined || (m.notBefore > now()) === f.deferred) &&
    (!f.domain || m.envelope.recipients.some((r) => domainOf(r.address) === f.domain!.toLowerCase()));

  return {
    health: () => ({ ok: true, version: '0.1.0-test', hostname: 'gatehouse.test', uptime: 42, maintenance }),
    services: {
      list: () => {
        checkFailure();
        return [...services.values()].map(publicStatus);
      },
      get: (name) => publicStatus(service(name)),
      async start(name) {
        const s = service(name);
        startService(s);
        return publicStatus(s);
      },
      async stop(name) {
        const s = service(name);
        if (s.essential) throw new ControlError('SERVICE_NOT_STOPPABLE', `${name} is essential and cannot be stopped`);
        setState(s, 'stopped');
        return publicStatus(s);
      },
      async restart(name) {
        const s = service(name);
        if (s.essential) throw new ControlError('SERVICE_NOT_STOPPABLE', `${name} is essential and cannot be restarted`);
        startService(s);
        return publicStatus(s);
      },
      async setEnabled(name, enabled) {
        const s = service(name);
        if (!enabled && !s.deactivatable) throw new ControlError('SERVICE_NOT_DEACTIVATABLE', `${name} cannot be deactivated`);
        s.enabled = enabled;
        if (!enabled && s.state !== 'stopped') setState(s, 'stopped');
        return publicStatus(s);
      },
    },
    maintenance: {
      get: () => maintenance,
      async set(on) {
        maintenance = on;
        for (const s of services.values()) if (s.mailHandling && s.enabled) setState(s, on ? 'stopped' : 'running');
      },
    },
    queue: {
      async counts() {
        const c: Record<string, { total: number; deferred: number }> = {};
        for (const m of mails.values()) {
          const e = (c[m.queue] ??= { total: 0, deferred: 0 });
          e.total++;
          if (m.notBefore > now()) e.deferred++;
        }
        return c;
      },
      async list(f) {
        const all = [...mails.values()].filter((m) => matches(m, f)).sort((a, b) => a.queuedAt - b.queuedAt);
        const offset = f.offset ?? 0;
        return all.slice(offset, offset + (f.limit ?? 100)).map((m) => ({ ...m }));
      },
      async get(id): Promise<MailDetail> {
        const m = mails.get(id);
        if (!m) throw new ControlError('MAIL_NOT_FOUND', `no mail with id ${id}`);
        return { ...m, events: events.filter((e) => e.mailId === id) };
      },
      async hold(id, actor) {
        const m = mail(id);
        if (!isStage(m.queue)) throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is in ${m.queue}; only mail in a stage can be held`);
        return move(m, 'hold', 'held', actor, { heldFrom: m.queue });
      },
      async release(id, actor) {
        const m = mail(id);
        if (m.queue !== 'hold') throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is in ${m.queue}, not on hold`);
        return move(m, m.heldFrom ?? 'seal-in', 'released', actor, { heldFrom: null, notBefore: now() });
      },
      async delete(id, actor) {
        const m = mail(id);
        if (isFinal(m.queue)) throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is already ${m.queue}`);
        return move(m, 'deleted', 'deleted', actor);
      },
      async retry(id, actor) {
        const m = mail(id);
        if (!isStage(m.queue)) throw new ControlError('MAIL_WRONG_QUEUE', `mail ${id} is in ${m.queue}; only mail in a stage can be retried`);
        return move(m, m.queue, 'retried', actor, { notBefore: now() });
      },
      async flush(domain, actor) {
        let n = 0;
        for (const m of mails.values()) {
          if (m.queue === 'deliver' && !leased.has(m.id) && matches(m, { deferred: true, domain })) {
            move(m, 'deliver', 'flushed', actor, { notBefore: now() });
            n++;
          }
        }
        return n;
      },
    },
    logs: {
      async query(q: LogQuery) {
        const min = q.level ? LEVELS.indexOf(q.level) : 0;
        return logs
          .filter(
            (r) =>
              (!q.service || r.service === q.service) &&
              LEVELS.indexOf(r.level) >= min &&
              (!q.mailId || r.mailId === q.mailId) &&
              (q.since === undefined || r.at >= q.since) &&
              (q.until === undefined || r.at <= q.until) &&
              (!q.text || r.msg.includes(q.text)),
          )
          .slice(0, q.limit ?? 200);
      },
    },
    async metrics() {
      const body = [`# HELP gatehouse_queue_mails Mails per queue.`, `# TYPE gatehouse_queue_mails gauge`]
        .concat(ALL_QUEUES.map((q) => `gatehouse_queue_mails{queue="${q}"} ${[...mails.values()].filter((m) => m.queue === q).length}`))
        .join('\n');
      return { contentType: 'text/plain; version=0.0.4; charset=utf-8', body: body + '\n' };
    },
    addMail(p) {
      const t = now();
      const m: MailRecord = {
        envelope: { sender: 'alice@example.org', recipients: [{ address: 'bob@example.com', status: 'pending' }], direction: 'inbound', source: 'smtp' },
        size: 1234,
        receivedAt: t - 60_000,
        queuedAt: t - 30_000,
        notBefore: t - 30_000,
        attempts: 0,
        heldFrom: null,
        lastReason: null,
        delayNotified: false,
        ...p,
      };
      mails.set(m.id, m);
      events.push({ mailId: m.id, at: m.receivedAt, queue: 'seal-in', event: 'received', actor: 'smtp-receiver', detail: { clientIp: '192.0.2.1' } });
      if (m.queue !== 'seal-in') events.push({ mailId: m.id, at: m.queuedAt, queue: m.queue, event: 'advanced', actor: 'flow' });
      return m;
    },
    lease: (id) => void leased.add(id),
    addLog: (r) => void logs.push({ ...r, id: logs.length + 1 }),
    failNext: (err) => void (pendingFailure = err),
  };
}

