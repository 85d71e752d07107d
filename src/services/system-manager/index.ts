// system-manager: the supervisor's own service entry, serving the admin API (and later the
// console). It cannot be stopped from the API: it is how the admin reaches the appliance.
import type { Service } from '../service.ts';
import type { ApplianceControl } from './control.ts';
import type { Logger } from '../log-manager/logger.ts';
import { createAdminServer } from '../../admin/api/server.ts';

export class SystemManager implements Service {
  readonly name = 'system-manager' as const;
  readonly kind = 'infrastructure' as const;
  readonly description = 'Supervisor of all services, admin API and web console';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = false;
  private server: ReturnType<typeof createAdminServer> | null = null;

  constructor(private readonly d: { control: () => ApplianceControl; token: string; listen: string; log: Logger }) {}

  configured(): boolean {
    return true;
  }

  async start(): Promise<void> {
    const server = createAdminServer({ control: this.d.control(), token: this.d.token, listen: this.d.listen, log: this.d.log });
    const { address } = await server.start();
    this.server = server;
    this.d.log.info(`admin API listening on ${address}`);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
  }
}
