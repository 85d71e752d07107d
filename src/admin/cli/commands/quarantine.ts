// `gatehouse quarantine list|show|deliver|delete|allow|report`: the Spam, Virus and CISS quarantines.
import type { Command } from 'commander';
import type { MailRecord } from '../../../core/mail.ts';
import type { MailDetail } from '../../../services/system-manager/control.ts';
import type { QuarantinedMail } from '../../../services/spamfinder/control.ts';
import type { CliContext } from '../context.ts';
import { formatBytes, isoTime, json, nonNegativeInt, positiveInt, relativeTime, table } from '../format.ts';

const ACTIONS = {
  deliver: 'Deliver a quarantined mail (spam releases teach Bayes "ham")',
  delete: 'Delete a quarantined mail',
  allow: 'Deliver a quarantined mail and allow-list its sender (AWL)',
  report: 'Confirm a spam-quarantined mail as spam (Bayes and FUZZY learn it) and delete it',
} as const;

const path = (id: string) => `/api/v1/quarantine/${encodeURIComponent(id)}`;

export function registerQuarantineCommands(program: Command, ctx: CliContext): void {
  const q = program.command('quarantine').description('The Spam, Virus and CISS quarantines');

  q.command('list')
    .description('List quarantined mails with the filter that caught each')
    .option('--queue <NAME>', 'spam, virus or ciss', 'spam')
    .option('--search <TEXT>', 'text in sender, recipients, subject, filter or reason')
    .option('--sort <KEY>', 'received, sender, filter or score', 'received')
    .option('--asc', 'oldest / lowest first')
    .option('--limit <N>', 'at most this many (default 100)', positiveInt)
    .option('--offset <N>', 'skip this many', nonNegativeInt)
    .option('--json', "print the API's JSON")
    .action(async (o: { queue: string; search?: string; sort: string; asc?: boolean; limit?: number; offset?: number; json?: boolean }) => {
      const res = await ctx.api().get<{ mails: QuarantinedMail[]; total: number; limit: number; offset: number }>('/api/v1/quarantine', {
        queue: o.queue.replace(/^quarantine:/, ''),
        search: o.search,
        sort: o.sort,
        order: o.asc ? 'asc' : 'desc',
        limit: o.limit,
        offset: o.offset,
      });
      if (o.json) return ctx.print(json(res.mails));
      if (!res.mails.length) return ctx.print(`no mails in quarantine:${o.queue.replace(/^quarantine:/, '')}`);
      const now = ctx.now();
      ctx.print(
        table(
          ['ID', 'RECEIVED', 'SIZE', 'SENDER', 'RECIPIENTS', 'SUBJECT', 'FILTER', 'REASON'],
          res.mails.map((m) => [
            m.id,
            relativeTime(m.receivedAt, now),
            formatBytes(m.size),
            m.sender || '<>',
            m.recipients.length > 1 ? `${m.recipients[0]} +${m.recipients.length - 1}` : (m.recipients[0] ?? '-'),
            m.subject.slice(0, 40),
            m.filter ?? '-',
            m.reason ?? '',
          ]),
        ),
      );
      if (res.total > res.offset + res.mails.length) ctx.note(`(${res.mails.length} of ${res.total}; use --limit / --offset for more)`);
    });

  q.command('show <ID>')
    .description('A quarantined mail: verdict, filter checks and tracking events')
    .option('--json', "print the API's JSON")
    .action(async (id: string, o: { json?: boolean }) => {
      const m = await ctx.api().get<MailDetail>(path(id));
      if (o.json) return ctx.print(json(m));
      const v = (m.envelope.meta?.spamfinder ?? {}) as { verdict?: string; filter?: string; reason?: string; profile?: string; checks?: Record<string, string>; subject?: string };
      const lines: [string, string | undefined][] = [
        ['id', m.id],
        ['queue', m.queue],
        ['received', `${isoTime(m.receivedAt)} (${relativeTime(m.receivedAt, ctx.now())})`],
        ['sender', m.envelope.sender || '<>'],
        ['recipients', m.envelope.recipients.map((r) => r.address).join(', ')],
        ['subject', v.subject],
        ['size', formatBytes(m.size)],
        ['verdict', v.verdict],
        ['filter', v.filter],
        ['reason', v.reason ?? m.lastReason ?? undefined],
        ['profile', v.profile],
      ];
      for (const [k, val] of lines) if (val) ctx.print(`${(k + ':').padEnd(14)}${val}`);
      for (const [k, val] of Object.entries(v.checks ?? {})) ctx.print(`${'check:'.padEnd(14)}${k} ${val}`);
      const auth = m.envelope.meta?.auth as { spf?: string; dmarc?: { result?: string } | null } | undefined;
      if (auth) ctx.print(`${'auth:'.padEnd(14)}spf=${auth.spf ?? '-'} dmarc=${auth.dmarc?.result ?? 'none'}`);
      ctx.print('events:');
      for (const ev of m.events) ctx.print(`  ${isoTime(ev.at)}  ${ev.event.padEnd(10)} ${ev.queue.padEnd(18)} ${ev.actor}${ev.detail ? ' ' + JSON.stringify(ev.detail) : ''}`);
    });

  q.command('send-reports')
    .description('Mail the quarantine reports now (spam held since the last run, with release links)')
    .action(async () => {
      const r = await ctx.api().post<{ reports: number; mails: number }>('/api/v1/quarantine/reports');
      ctx.print(`sent ${r.reports} report(s) covering ${r.mails} held mail(s)`);
    });

  for (const [action, description] of Object.entries(ACTIONS)) {
    q.command(`${action} <ID>`)
      .description(description)
      .action(async (id: string) => {
        const m = await ctx.api().post<MailRecord>(`${path(id)}/${action}`);
        ctx.print(`${m.id}: now in ${m.queue}${action === 'allow' ? `; ${m.envelope.sender || 'the sender'} is on the AWL` : ''}`);
      });
  }
}
