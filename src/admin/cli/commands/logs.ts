// `gatehouse logs`: search the log database; one line per record, oldest first as the API gives.
import type { Command } from 'commander';
import type { LogRecord } from '../../../store/store.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, parseInstant, positiveInt } from '../format.ts';

interface LogsOptions {
  service?: string;
  mail?: string;
  level?: string;
  since?: string;
  until?: string;
  text?: string;
  limit?: number;
  json?: boolean;
}

type Row = LogRecord & { id: number };

export function registerLogCommands(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Search the log records')
    .option('--service <NAME>', 'only this service')
    .option('--mail <ID>', 'only records about this mail')
    .option('--level <LEVEL>', 'trace, debug, info, warn, error or fatal')
    .option('--since <WHEN>', 'a duration back from now (30m, 1h, 2d) or an ISO 8601 date-time')
    .option('--until <WHEN>', 'same forms as --since')
    .option('--text <TEXT>', 'records whose message contains this')
    .option('--limit <N>', 'at most this many records', positiveInt)
    .option('--json', 'print the API\'s JSON')
    .action(async (o: LogsOptions) => {
      const now = ctx.now();
      const { logs } = await ctx.api().get<{ logs: Row[] }>('/api/v1/logs', {
        service: o.service,
        mail: o.mail,
        level: o.level,
        since: o.since === undefined ? undefined : parseInstant('--since', o.since, now),
        until: o.until === undefined ? undefined : parseInstant('--until', o.until, now),
        text: o.text,
        limit: o.limit,
      });
      if (o.json) return ctx.print(json(logs));
      for (const r of logs) ctx.print(logLine(r));
    });
}

export function logLine(r: LogRecord): string {
  const parts = [isoTime(r.at), r.level.toUpperCase().padEnd(5), r.service];
  if (r.mailId) parts.push(`[${r.mailId}]`);
  parts.push(r.msg);
  if (r.data && Object.keys(r.data).length) parts.push(JSON.stringify(r.data));
  return parts.join(' ');
}
