// ApplianceControl over the supervisor and the store: what the admin API and CLI can do.
// Every mail action is one guarded queue move that writes its tracking event.
import { ALL_QUEUES, HOLDING_QUEUES, isFinal, isStage, STAGES, type MailRecord, type QueueName } from '../../core/mail.ts';
import { QueueConflict, type Store } from '../../store/store.ts';
import type { FlowEngine } from '../../flow/flow-engine.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Supervisor } from './supervisor.ts';
import { ControlError, type ApplianceControl, type MailDetail } from './control.ts';
import type { Metrics } from './metrics.ts';
import type { ClusterNode, NodeVerb } from './cluster-node.ts';

const ACTIVE: QueueName[] = [...STAGES, ...HOLDING_QUEUES];

export function createApplianceControl(d: {
  store: Store;
  engine: FlowEngine;
  supervisor: Supervisor;
  log: Logger;
  metrics: Metrics;
  hostname: string;
  version: string;
  startedAt: number;
  /** This node in the appliance (heartbeats, commands for other nodes). */
  cluster?: ClusterNode;
}): ApplianceControl {
  const { store, supervisor, engine, log } = d;

  const mustGet = async (id: string) => {
    const m = await store.queue.get(id);
    if (!m) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
    return m;
  };
  const guarded = async (id: string, fn: (m: MailRecord & { bodyKey: string }) => Promise<MailRecord | null>) => {
    const m = await mustGet(id);
    try {
      const r = await fn(m);
      if (!r) throw new ControlError('MAIL_NOT_FOUND', `no mail with id "${id}"`);
      engine.notify(r.queue);
      return r;
    } catch (err) {
      if (err instanceof QueueConflict) {
        throw new ControlError(/being processed/.test(err.message) ? 'MAIL_BUSY' : 'MAIL_WRONG_QUEUE', err.message);
      }
      throw err;
    }
  };

  return {
    health: () => ({
      // Not ok until the appliance has finished starting: the API comes up first.
      ok: supervisor.booted,
      version: d.version,
      hostname: d.hostname,
      uptime: Math.round((Date.now() - d.startedAt) / 1000),
      maintenance: supervisor.maintenance,
    }),
    services: {
      list: () => supervisor.list(),
      get: (n) => supervisor.get(n),
      start: (n) => supervisor.start(n),
      stop: (n) => supervisor.stop(n),
      restart: (n) => supervisor.restart(n),
      setEnabled: (n, on) => supervisor.setEnabled(n, on),
      ...(d.cluster
        ? {
            node: d.cluster.id,
            nodes: () => d.cluster!.nodes(),
            onNode: (node: string, verb: NodeVerb, n: string) => d.cluster!.run(node, verb, n),
          }
        : {}),
    },
    maintenance: {
      get: () => supervisor.maintenance,
      set: (on) => supervisor.setMaintenance(on),
    },
    queue: {
      counts: () => store.queue.counts(),
      list: (f) => {
        if (f.queue && !(ALL_QUEUES as readonly string[]).includes(f.queue)) {
          throw new ControlError('QUEUE_NOT_FOUND', `no queue named "${f.queue}"; queues: ${ALL_QUEUES.join(', ')}`);
        }
        return store.queue.list(f);
      },
      async get(id): Promise<MailDetail> {
        const m = await mustGet(id);
        const { bodyKey: _b, ...rec } = m;
        return { ...rec, events: await store.queue.events(id) };
      },
      hold: (id, actor) =>
        guarded(id, (m) => {
          if (!isStage(m.queue)) throw new QueueConflict(`mail ${id} is in ${m.queue}; only mail in a stage queue can be held`);
          log.info(`held by ${actor}`, { mailId: id });
          return store.queue.move(id, 'hold', { from: [...STAGES], heldFrom: m.queue, event: { event: 'held', actor, detail: { from: m.queue } } });
        }),
      release: (id, actor) =>
        guarded(id, (m) => {
          if (!(HOLDING_QUEUES as readonly string[]).includes(m.queue)) throw new QueueConflict(`mail ${id} is in ${m.queue}, not on hold`);
          const to: QueueName = m.heldFrom && isStage(m.heldFrom) ? m.heldFrom : 'seal-in';
          log.info(`released by ${actor} to ${to}`, { mailId: id });
          return store.queue.move(id, to, { from: [...HOLDING_QUEUES], heldFrom: null, event: { event: 'released', actor, detail: { to } } });
        }),
      delete: (id, actor) =>
        guarded(id, async (m) => {
          if (isFinal(m.queue)) throw new QueueConflict(`mail ${id} is already ${m.queue}`);
          const r = await store.queue.move(id, 'deleted', { from: ACTIVE, event: { event: 'deleted', actor, detail: { from: m.queue } } });
          await store.bodies.remove(m.bodyKey).catch(() => undefined);
          log.warn(`deleted by ${actor} from ${m.queue}`, { mailId: id });
          return r;
        }),
      retry: (id, actor) =>
        guarded(id, (m) => {
          if (!isStage(m.queue)) throw new QueueConflict(`mail ${id} is in ${m.queue}; only mail in a stage queue can be retried`);
          return store.queue.move(id, m.queue, { from: [m.queue], event: { event: 'retry', actor } });
        }),
      async flush(domain, actor) {
        const n = await store.queue.flush(domain);
        log.info(`flush by ${actor}: ${n} deferred mail(s) due now${domain ? ' for ' + domain : ''}`);
        engine.notify('deliver');
        return n;
      },
    },
    logs: { query: (q) => store.logs.query(q) },
    metrics: () => d.metrics.render(),
  };
}
