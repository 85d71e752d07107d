// `gatehouse services list|start|stop|restart|activate|deactivate [--node ID|all]`: on the node
// the CLI talks to by default, on another node of the cluster, or on every live node.
import type { Command } from 'commander';
import type { ServiceStatus } from '../../../services/service.ts';
import type { NodeActionResult, NodeServices } from '../../../services/system-manager/cluster-node.ts';
import type { CliContext } from '../context.ts';
import { json, relativeTime, table } from '../format.ts';

const ACTIONS = {
  start: 'Start a service',
  stop: 'Stop a service',
  restart: 'Restart a service',
  activate: 'Activate a deactivated service (it may then be started)',
  deactivate: 'Deactivate a service (it stops and stays stopped)',
} as const;

const NODE_HELP = 'a node of the cluster (its nodeId), or "all" (default: the node the CLI talks to)';

interface ListAnswer {
  node?: string;
  services: ServiceStatus[];
  nodes?: NodeServices[];
}

export function registerServiceCommands(program: Command, ctx: CliContext): void {
  const services = program.command('services').description('The appliance\'s services (per node in a cluster)');

  services
    .command('list')
    .description('List the services and their state')
    .option('--node <ID>', NODE_HELP)
    .option('--json', 'print the API\'s JSON')
    .action(async (opts: { json?: boolean; node?: string }) => {
      const answer = await ctx.api().get<ListAnswer>('/api/v1/services', { node: opts.node });
      const now = ctx.now();
      const row = (s: ServiceStatus) => [s.name, s.state, relativeTime(s.since, now), yesNo(s.enabled), yesNo(s.configured), s.lastError ?? '-'];
      const head = ['NAME', 'STATE', 'SINCE', 'ENABLED', 'CONFIGURED', 'LAST ERROR'];
      // One node (or one asked for): the table as it always was. `all`, or a cluster: a NODE column.
      const many = opts.node === 'all' || (!opts.node && (answer.nodes?.length ?? 0) > 1);
      if (!many) {
        if (opts.json) return ctx.print(json(answer.services));
        return ctx.print(table(head, answer.services.map(row)));
      }
      const nodes = answer.nodes ?? [];
      if (opts.json) return ctx.print(json(nodes));
      ctx.print(
        table(
          ['NODE', ...head],
          nodes.flatMap((n) => n.services.map((s) => [n.alive ? n.node : `${n.node} (${n.left ? 'stopped' : 'not seen'} ${relativeTime(n.at, now)})`, ...row(s)])),
        ),
      );
    });

  for (const [action, description] of Object.entries(ACTIONS)) {
    services
      .command(`${action} <NAME>`)
      .description(description)
      .option('--node <ID>', NODE_HELP)
      .action(async (name: string, opts: { node?: string }) => {
        const path = `/api/v1/services/${encodeURIComponent(name)}/${action}${opts.node ? `?node=${encodeURIComponent(opts.node)}` : ''}`;
        const line = (s: ServiceStatus) => `${s.name}: ${s.state}${s.enabled ? '' : ' (deactivated)'}`;
        if (opts.node !== 'all') {
          const s = await ctx.api().post<ServiceStatus>(path);
          return ctx.print(opts.node ? `${opts.node}: ${line(s)}` : line(s));
        }
        const { results } = await ctx.api().post<{ results: NodeActionResult[] }>(path);
        for (const r of results) ctx.print(r.ok ? `${r.node}: ${line(r.status)}` : `${r.node}: ${name}: failed: ${r.error.message} (${r.error.code})`);
        const failed = results.filter((r) => !r.ok).map((r) => r.node);
        if (failed.length) throw new Error(`${action} ${name} failed on ${failed.join(', ')}`);
      });
  }
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}
