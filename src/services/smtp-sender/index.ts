// The smtp-sender service: egress of the mail flow. It serves the `deliver` stage (MX or relay
// delivery, retries, DSNs); the flow engine runs the stage while the service runs, and stopping
// the service closes the delivery connection pools.
import type { Config } from '../../config/schema.ts';
import type { Service } from '../service.ts';
import type { Logger } from '../log-manager/logger.ts';
import { createDeliverStage, type DeliverStageDeps } from './deliver-stage.ts';

export interface SmtpSenderDeps {
  config: Config;
  log: Logger;
  now?: () => number;
  /** Test hooks passed to the stage. */
  mxPort?: DeliverStageDeps['mxPort'];
  poolIdleTimeout?: DeliverStageDeps['poolIdleTimeout'];
  /** BATV signing of outbound return paths. */
  batv?: DeliverStageDeps['batv'];
}

export function createSmtpSender(deps: SmtpSenderDeps): Service {
  const stage = createDeliverStage(deps);
  return {
    name: 'smtp-sender',
    kind: 'egress',
    description: 'Delivers mail to the next hop (MX or relay), retries deferred mail and returns DSNs',
    essential: true,
    deactivatable: false,
    mailHandling: true,
    stages: [stage],
    configured: () => Object.keys(deps.config.routes).length > 0,
    // Nothing to start: the flow engine runs the stage while the service runs.
    async start() {},
    async stop(deadline: AbortSignal) {
      // Deliveries in flight finish first; at the deadline the remaining sessions are cut (their
      // mails are deferred by the stage, never lost).
      const force = () => void stage.close({ force: true });
      if (deadline.aborted) force();
      else deadline.addEventListener('abort', force, { once: true });
      try {
        await stage.close();
      } finally {
        deadline.removeEventListener('abort', force);
      }
    },
  };
}
