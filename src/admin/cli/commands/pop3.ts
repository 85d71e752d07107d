// `gatehouse pop3 list|fetch NAME`: the POP3 mailboxes pop3-proxy fetches, and a fetch now.
// A failed fetch prints the mailbox's error and exits 1.
import type { Command } from 'commander';
import type { MailboxStatus, Pop3FetchReport } from '../../../services/pop3-proxy/control.ts';
import type { CliContext } from '../context.ts';
import { json, relativeTime, table } from '../format.ts';

const mailboxPath = (name: string) => `/api/v1/pop3/mailboxes/${encodeURIComponent(name)}`;

export function registerPop3Commands(program: Command, ctx: CliContext): void {
  const pop3 = program.command('pop3').description('External POP3 mailboxes fetched into the mail flow');

  pop3
    .command('list')
    .description('List the mailboxes with their last fetch, count and last error')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const { mailboxes } = await ctx.api().get<{ mailboxes: MailboxStatus[] }>('/api/v1/pop3/mailboxes');
      if (o.json) return ctx.print(json(mailboxes));
      if (!mailboxes.length) return ctx.print('no POP3 mailboxes');
      const now = ctx.now();
      ctx.print(
        table(
          ['NAME', 'SERVER', 'DELIVER TO', 'STATE', 'LAST FETCH', 'COUNT', 'TOTAL', 'LAST ERROR'],
          mailboxes.map((m) => [
            m.name,
            `${m.host}:${m.port} (${m.tls}${m.keep ? ', keep' : ', delete'})`,
            m.deliverTo,
            m.state,
            m.lastFetchAt ? relativeTime(m.lastFetchAt, now) : 'never',
            String(m.lastCount),
            String(m.totalFetched),
            m.lastError ? `${m.lastErrorCode}: ${m.lastError}` : '-',
          ]),
        ),
      );
    });

  pop3
    .command('fetch <NAME>')
    .description('Fetch a mailbox now and wait for the result')
    .option('--json', 'print the API\'s JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      const r = await ctx.api().post<Pop3FetchReport>(`${mailboxPath(name)}/fetch`);
      if (o.json) ctx.print(json(r));
      else if (r.ok) ctx.print(`${name}: ${r.fetched} new mail(s) fetched, ${r.deleted} deleted on the server${r.skipped ? `, ${r.skipped} too large and left there` : ''}`);
      if (!r.ok) throw new Error(`${name}: fetch failed: ${r.error ?? 'unknown error'}`);
    });
}
