// `gatehouse maintenance on|off|status`.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

export function registerMaintenanceCommands(program: Command, ctx: CliContext): void {
  const maintenance = program.command('maintenance').description('Maintenance mode: mail-handling services stop and stay stopped');
  const show = (s: { enabled: boolean }) => ctx.print(`maintenance mode: ${s.enabled ? 'on' : 'off'}`);

  maintenance
    .command('status')
    .description('Is maintenance mode on?')
    .action(async () => show(await ctx.api().get('/api/v1/maintenance')));
  maintenance
    .command('on')
    .description('Switch maintenance mode on')
    .action(async () => show(await ctx.api().put('/api/v1/maintenance', { enabled: true })));
  maintenance
    .command('off')
    .description('Switch maintenance mode off')
    .action(async () => show(await ctx.api().put('/api/v1/maintenance', { enabled: false })));
}
