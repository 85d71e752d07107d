// `gatehouse services list|start|stop|restart|activate|deactivate`.
import type { Command } from 'commander';
import type { ServiceStatus } from '../../../services/service.ts';
import type { CliContext } from '../context.ts';
import { json, relativeTime, table } from '../format.ts';

const ACTIONS = {
  start: 'Start a service',
  stop: 'Stop a service',
  restart: 'Restart a service',
  activate: 'Activate a deactivated service (it may then be started)',
  deactivate: 'Deactivate a service (it stops and stays stopped)',
} as const;

export function registerServiceCommands(program: Command, ctx: CliContext): void {
  const services = program.command('services').description('The appliance\'s services');

  services
    .command('list')
    .description('List the services and their state')
    .option('--json', 'print the API\'s JSON')
    .action(async (opts: { json?: boolean }) => {
      const { services: list } = await ctx.api().get<{ services: ServiceStatus[] }>('/api/v1/services');
      if (opts.json) return ctx.print(json(list));
      const now = ctx.now();
      ctx.print(
        table(
          ['NAME', 'STATE', 'SINCE', 'ENABLED', 'CONFIGURED', 'LAST ERROR'],
          list.map((s) => [s.name, s.state, relativeTime(s.since, now), yesNo(s.enabled), yesNo(s.configured), s.lastError ?? '-']),
        ),
      );
    });

  for (const [action, description] of Object.entries(ACTIONS)) {
    services
      .command(`${action} <NAME>`)
      .description(description)
      .action(async (name: string) => {
        const s = await ctx.api().post<ServiceStatus>(`/api/v1/services/${encodeURIComponent(name)}/${action}`);
        ctx.print(`${s.name}: ${s.state}${s.enabled ? '' : ' (deactivated)'}`);
      });
  }
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}
