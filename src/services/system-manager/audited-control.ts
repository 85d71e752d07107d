// The admin actions that change the appliance, written to the compliance log: service start,
// stop, restart, (de)activation (on this node or others), maintenance mode, and the mail actions
// (hold, release, delete, retry, flush). Recorded after the action succeeded; a record that
// cannot be written is logged as an error (the action is done and must not be reported as failed).
import type { ComplianceEvent, ComplianceRecorder } from '../compliance-log/recorder.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { ApplianceControl } from './control.ts';
import type { NodeVerb } from './cluster-node.ts';

/** Who the compliance log names for service and maintenance actions (the control has no caller name). */
const ADMIN = 'admin-api';

export function auditedControl(c: ApplianceControl, recorder: ComplianceRecorder, log: Logger): ApplianceControl {
  const record = (e: ComplianceEvent) =>
    recorder.record(e).catch((err: Error) => log.error(`could not write an admin action to the compliance log: ${err.message}`, { action: e.action }));
  const service =
    (verb: string, fn: (n: string) => ReturnType<ApplianceControl['services']['start']>) =>
    async (n: string) => {
      const r = await fn(n);
      await record({ category: 'admin', action: `service.${verb}`, actor: ADMIN, subject: n, detail: { state: r.state } });
      return r;
    };
  const mail =
    (verb: string, fn: ApplianceControl['queue']['hold']) =>
    async (id: string, actor: string) => {
      const r = await fn(id, actor);
      await record({ category: verb === 'delete' ? 'deletion' : 'mail', action: `mail.${verb}`, actor, subject: id, detail: { queue: r.queue } });
      return r;
    };
  return {
    ...c,
    services: {
      ...c.services,
      start: service('start', c.services.start),
      stop: service('stop', c.services.stop),
      restart: service('restart', c.services.restart),
      async setEnabled(n, on) {
        const r = await c.services.setEnabled(n, on);
        await record({ category: 'admin', action: on ? 'service.activate' : 'service.deactivate', actor: ADMIN, subject: n });
        return r;
      },
      ...(c.services.onNode
        ? {
            // Recorded once, by the node that was asked, for every node where it was done.
            async onNode(node: string, verb: NodeVerb, n: string) {
              const results = await c.services.onNode!(node, verb, n);
              for (const r of results) {
                if (r.ok) await record({ category: 'admin', action: `service.${verb}`, actor: ADMIN, subject: n, detail: { node: r.node, state: r.status.state } });
              }
              return results;
            },
          }
        : {}),
    },
    maintenance: {
      ...c.maintenance,
      async set(on) {
        await c.maintenance.set(on);
        await record({ category: 'admin', action: on ? 'maintenance.on' : 'maintenance.off', actor: ADMIN });
      },
    },
    queue: {
      ...c.queue,
      hold: mail('hold', c.queue.hold),
      release: mail('release', c.queue.release),
      delete: mail('delete', c.queue.delete),
      retry: mail('retry', c.queue.retry),
      async flush(domain, actor) {
        const n = await c.queue.flush(domain, actor);
        await record({ category: 'mail', action: 'mail.flush', actor, subject: domain ?? '*', detail: { flushed: n } });
        return n;
      },
    },
  };
}
