// `gatehouse queue list|show|hold|release|delete|retry|flush`.
import type { Command } from 'commander';
import type { MailRecord } from '../../../core/mail.ts';
import type { MailDetail } from '../../../services/system-manager/control.ts';
import type { CliContext } from '../context.ts';
import { formatBytes, isoTime, json, nonNegativeInt, positiveInt, relativeTime, table } from '../format.ts';

interface ListOptions {
  queue?: string;
  deferred?: boolean;
  domain?: string;
  limit?: number;
  offset?: number;
  json?: boolean;
}

const ACTIONS = {
  hold: 'Put a mail on hold',
  release: 'Release a held mail to the queue it was held from',
  delete: 'Delete a mail (its tracking is kept)',
  retry: 'Try a deferred mail again now',
} as const;

const mailPath = (id: string) => `/api/v1/mails/${encodeURIComponent(id)}`;

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const queue = program.command('queue').description('Mail in the queues');

  queue
    .command('list')
    .description('List mails')
    .option('--queue <NAME>', 'only this queue (e.g. deliver, hold, quarantine:spam)')
    .option('--deferred', 'only deferred mail')
    .option('--domain <DOMAIN>', 'only mail to this recipient domain')
    .option('--limit <N>', 'at most this many mails (default 100)', positiveInt)
    .option('--offset <N>', 'skip this many mails', nonNegativeInt)
    .option('--json', 'print the API\'s JSON')
    .action(async (o: ListOptions) => {
      const res = await ctx.api().get<{ mails: MailRecord[]; limit: number; offset: number }>('/api/v1/mails', {
        queue: o.queue,
        deferred: o.deferred ? true : undefined,
        domain: o.domain,
        limit: o.limit,
        offset: o.offset,
      });
      if (o.json) return ctx.print(json(res.mails));
      if (!res.mails.length) return ctx.print('no mails');
      const now = ctx.now();
      ctx.print(
        table(
          ['ID', 'QUEUE', 'RECEIVED', 'SIZE', 'SENDER', 'RECIPIENTS', 'ATTEMPTS', 'NEXT TRY', 'REASON'],
          res.mails.map((m) => [
            m.id,
            m.queue,
            relativeTime(m.receivedAt, now),
            formatBytes(m.size),
            m.envelope.sender || '<>',
            recipients(m),
            String(m.attempts),
            m.notBefore > now ? relativeTime(m.notBefore, now) : '-',
            m.lastReason ?? '',
          ]),
        ),
      );
      if (res.mails.length === res.limit) ctx.note(`(first ${res.limit} from offset ${res.offset}; use --limit / --offset for more)`);
    });

  queue
    .command('show <ID>')
    .description('A mail and its tracking events')
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const m = await ctx.api().get<MailDetail>(mailPath(id));
      if (o.json) return ctx.print(json(m));
      for (const line of describeMail(m, ctx.now())) ctx.print(line);
    });

  for (const [action, description] of Object.entries(ACTIONS)) {
    queue
      .command(`${action} <ID>`)
      .description(description)
      .action(async (id: string) => {
        const m = await ctx.api().post<MailRecord>(`${mailPath(id)}/${action}`);
        ctx.print(`${m.id}: now in ${m.queue}`);
      });
  }

  queue
    .command('flush')
    .description('Try deferred mail in the deliver queue again now')
    .option('--domain <DOMAIN>', 'only mail to this recipient domain')
    .action(async (o: { domain?: string }) => {
      const { flushed } = await ctx.api().post<{ flushed: number }>('/api/v1/queues/deliver/flush', o.domain ? { domain: o.domain } : undefined);
      ctx.print(`flushed ${flushed} mail${flushed === 1 ? '' : 's'}`);
    });
}

function recipients(m: MailRecord): string {
  const r = m.envelope.recipients;
  if (!r.length) return '-';
  return r.length === 1 ? r[0].address : `${r[0].address} +${r.length - 1}`;
}

function describeMail(m: MailDetail, now: number): string[] {
  const e = m.envelope;
  const when = (at: number) => `${isoTime(at)} (${relativeTime(at, now)})`;
  const lines: [string, string | undefined | null | false][] = [
    ['id', m.id],
    ['queue', m.queue + (m.notBefore > now ? `, deferred until ${when(m.notBefore)}` : '')],
    ['held from', m.heldFrom],
    ['sender', e.sender || '<>'],
    ['direction', `${e.direction} via ${e.source}${e.clientIp ? ` from ${e.clientIp}` : ''}${e.authUser ? ` as ${e.authUser}` : ''}`],
    ['size', formatBytes(m.size)],
    ['received', when(m.receivedAt)],
    ['in queue since', when(m.queuedAt)],
    ['attempts', String(m.attempts)],
    ['last reason', m.lastReason],
  ];
  const out = lines.filter(([, v]) => v).map(([k, v]) => `${(k + ':').padEnd(16)}${v}`);
  for (const r of e.recipients) out.push(`${'recipient:'.padEnd(16)}${r.address} ${r.status}${r.response ? ` (${r.response})` : ''}`);
  out.push('events:');
  for (const ev of m.events) {
    const detail = ev.detail && Object.keys(ev.detail).length ? ` ${JSON.stringify(ev.detail)}` : '';
    out.push(`  ${isoTime(ev.at)}  ${ev.event.padEnd(10)} ${ev.queue.padEnd(16)} ${ev.actor}${detail}`);
  }
  return out;
}
