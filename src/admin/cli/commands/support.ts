// `gatehouse support start|stop|status`: a remote support session for a set time. `start`
// prints the one-time session code to give the support engineer.
import { InvalidArgumentError, type Command } from 'commander';
import type { SupportStatus } from '../../../services/remote-support/control.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, positiveInt, relativeTime } from '../format.ts';

export function registerSupportCommands(program: Command, ctx: CliContext): void {
  const support = program.command('support').description('Remote support: an outgoing tunnel for a support engineer, for a set time');

  const show = (s: SupportStatus) => {
    const now = ctx.now();
    if (!s.session) {
      ctx.print(`remote support: no session${s.configured ? '' : ' (not configured: set remoteSupport.endpoint)'}`);
      if (s.lastEnded) ctx.print(`last session ${s.lastEnded.id} ended ${relativeTime(s.lastEnded.endedAt, now)}: ${s.lastEnded.reason}`);
      return;
    }
    const x = s.session;
    ctx.print(`session:   ${x.id} (${x.rights}), started by ${x.startedBy}`);
    ctx.print(`code:      ${x.code}`);
    ctx.print(`ends:      ${isoTime(x.expiresAt)} (${relativeTime(x.expiresAt, now)})`);
    ctx.print(`tunnel:    ${x.connected ? (x.authenticated ? 'connected, engineer authenticated' : 'connected, waiting for the code') : 'not connected'} to ${s.endpoint}`);
    ctx.print(`requests:  ${x.requests}${x.lastError ? `\nlast error: ${x.lastError}` : ''}`);
  };

  support
    .command('start')
    .description('Start a session (read-only unless --full); prints the session code')
    .option('--minutes <N>', 'session length in minutes (default 60)', positiveInt)
    .option('--seconds <N>', 'session length in seconds (instead of --minutes)', positiveInt)
    .option('--rights <RIGHTS>', 'read-only (default) or full', (v: string) => {
      if (v !== 'read-only' && v !== 'full') throw new InvalidArgumentError('Use read-only or full.');
      return v;
    })
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { minutes?: number; seconds?: number; rights?: string; json?: boolean }) => {
      const s = await ctx.api().post<SupportStatus>('/api/v1/remote-support/start', { durationMinutes: o.minutes, durationSeconds: o.seconds, rights: o.rights });
      if (o.json) return ctx.print(json(s));
      show(s);
    });

  support
    .command('stop')
    .description('End the session now (the tunnel is cut at once)')
    .action(async () => show(await ctx.api().post<SupportStatus>('/api/v1/remote-support/stop')));

  support
    .command('status')
    .description('Show the session, its code and its deadline')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await ctx.api().get<SupportStatus>('/api/v1/remote-support');
      if (o.json) return ctx.print(json(s));
      show(s);
    });
}
