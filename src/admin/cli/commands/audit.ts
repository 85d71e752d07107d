// `gatehouse audit grant|list|revoke`: audit sessions. An admin grants an auditor a scope of
// the archive — a query and a window of message dates (YYYY-MM-DD, UTC; --until inclusive) —
// for a limited time (--for 8h); outside it the auditor sees nothing. Each change is in the
// compliance log, as is every search, view and export the auditor makes.
import type { Command } from 'commander';
import type { AuditGrant } from '../../../services/mail-depot/audit-grants.ts';
import { parseDuration } from '../../../config/duration.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, table, UsageError } from '../format.ts';

const DAY = 86_400_000;

function day(option: string, v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== v) throw new UsageError(`${option} ${v}: use a date YYYY-MM-DD`);
  return t;
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('Audit sessions: what part of the archive an auditor may see, and until when');

  audit
    .command('grant <AUDITOR> [QUERY...]')
    .description('Grant an auditor the mail a query finds within a window of message dates, for a limited time')
    .requiredOption('--from <DATE>', 'first day of the window (YYYY-MM-DD, UTC)')
    .requiredOption('--until <DATE>', 'last day of the window (YYYY-MM-DD, UTC, inclusive)')
    .requiredOption('--for <DURATION>', 'how long the session lasts, e.g. 8h, 3d')
    .option('--json', 'print the API\'s JSON')
    .action(async (auditor: string, words: string[], o: { from: string; until: string; for: string; json?: boolean }) => {
      const ms = parseDuration(o.for);
      if (!ms) throw new UsageError(`--for ${o.for}: use a duration such as 8h or 3d`);
      const body = { auditor, query: (words ?? []).join(' '), from: day('--from', o.from), until: day('--until', o.until) + DAY, expiresAt: Date.now() + ms };
      const g = await ctx.api().post<AuditGrant>('/api/v1/audit/grants', body);
      if (o.json) return ctx.print(json(g));
      ctx.print(`grant ${g.id}: ${g.auditor} may see ${g.query ? JSON.stringify(g.query) : 'all mail'} dated ${o.from} to ${o.until}, until ${isoTime(g.expiresAt)}`);
    });

  audit
    .command('list')
    .description('Audit grants in force')
    .option('--all', 'ended and revoked grants too')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const { grants } = await ctx.api().get<{ grants: AuditGrant[] }>('/api/v1/audit/grants', { all: o.all ? true : undefined });
      if (o.json) return ctx.print(json(grants));
      if (!grants.length) return ctx.print('no audit grants');
      ctx.print(
        table(
          ['GRANT', 'AUDITOR', 'QUERY', 'WINDOW', 'UNTIL', 'BY', 'REVOKED'],
          grants.map((g) => [
            g.id,
            g.auditor,
            g.query || '(all)',
            `${isoTime(g.from).slice(0, 10)}..${isoTime(g.until - 1).slice(0, 10)}`,
            isoTime(g.expiresAt),
            g.createdBy,
            g.revokedAt ? `${isoTime(g.revokedAt)} by ${g.revokedBy}` : '-',
          ]),
        ),
      );
    });

  audit
    .command('revoke <GRANT>')
    .description('End an audit grant now')
    .action(async (id: string) => {
      const g = await ctx.api().delete<AuditGrant>(`/api/v1/audit/grants/${encodeURIComponent(id)}`);
      ctx.print(`grant ${g.id} of ${g.auditor} revoked`);
    });
}
