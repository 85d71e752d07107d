// `gatehouse archive hold add|list|remove` and `gatehouse archive expire`: legal holds (on one
// message, or on every message a query finds, mail archived later included) and the expiry
// job on demand. Every hold change and deletion is in the compliance log.
import type { Command } from 'commander';
import type { ArchiveHold } from '../../../store/store.ts';
import type { ExpiryReport } from '../../../services/mail-depot/retention.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, table, UsageError } from '../format.ts';

export function registerArchiveHoldCommands(archive: Command, ctx: CliContext): void {
  const hold = archive.command('hold').description('Legal holds: held mail is not deleted when its retention ends');

  hold
    .command('add [QUERY...]')
    .description('Hold one message (--id) or every message a query finds, now and archived later')
    .option('--id <ARCHIVE_ID>', 'hold this message')
    .requiredOption('--reason <TEXT>', 'why (a case number, a request)')
    .option('--json', 'print the API\'s JSON')
    .action(async (words: string[], o: { id?: string; reason: string; json?: boolean }) => {
      const query = (words ?? []).join(' ').trim();
      if (!!o.id === !!query) throw new UsageError('archive hold add: give either --id ARCHIVE_ID or a QUERY');
      const h = await ctx.api().post<ArchiveHold>('/api/v1/archive/holds', { ...(o.id ? { archiveId: o.id } : { query }), reason: o.reason });
      if (o.json) return ctx.print(json(h));
      ctx.print(`hold ${h.id} placed on ${h.archiveId ? `message ${h.archiveId}` : `every message matching ${JSON.stringify(h.query)}`}`);
    });

  hold
    .command('list')
    .description('Legal holds in force')
    .option('--all', 'removed holds too')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const { holds } = await ctx.api().get<{ holds: ArchiveHold[] }>('/api/v1/archive/holds', { all: o.all ? true : undefined });
      if (o.json) return ctx.print(json(holds));
      if (!holds.length) return ctx.print('no legal holds');
      ctx.print(
        table(
          ['HOLD', 'ON', 'REASON', 'BY', 'SINCE', 'REMOVED'],
          holds.map((h) => [
            h.id,
            h.archiveId ? `message ${h.archiveId}` : `query ${h.query}`,
            h.reason,
            h.createdBy,
            isoTime(h.createdAt),
            h.removedAt ? `${isoTime(h.removedAt)} by ${h.removedBy}` : '-',
          ]),
        ),
      );
    });

  hold
    .command('remove <HOLD>')
    .description('Lift a legal hold')
    .action(async (id: string) => {
      const h = await ctx.api().delete<ArchiveHold>(`/api/v1/archive/holds/${encodeURIComponent(id)}`);
      ctx.print(`hold ${h.id} removed`);
    });

  archive
    .command('expire')
    .description('Delete now every message whose retention has ended and that no legal hold covers')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await ctx.api().post<ExpiryReport>('/api/v1/archive/expire', undefined, { timeoutMs: 6 * 60 * 60_000 });
      if (o.json) return ctx.print(json(r));
      ctx.print(`expiry: ${r.expired} message(s) past retention, ${r.deleted} deleted, ${r.held} kept by legal holds`);
    });
}
