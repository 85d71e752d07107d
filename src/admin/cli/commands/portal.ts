// `gatehouse portal list|delete|reset-password`: the encryption portal as an admin sees it, over
// /api/v1/portal. Lists mails waiting for recipients without keys (never content or keys); delete
// and reset-password go to the compliance log; an unknown id or address is PORTAL_NOT_FOUND.
import type { Command } from 'commander';
import type { PortalMessageView } from '../../../services/portal-crypt/control.ts';
import type { CliContext } from '../context.ts';
import { formatBytes, isoTime, json, table } from '../format.ts';

export function registerPortalCommands(program: Command, ctx: CliContext): void {
  const portal = program.command('portal').description('The encryption portal: mails held for recipients without keys');

  portal
    .command('list')
    .description('Mails in the encryption portal, newest first')
    .option('--recipient <ADDRESS>', 'only the mails for this recipient')
    .option('--limit <N>', 'at most this many (1-1000)', (v) => Number.parseInt(v, 10))
    .option('--json', "print the API's JSON")
    .action(async (o: { recipient?: string; limit?: number; json?: boolean }) => {
      const { messages } = await ctx.api().get<{ messages: PortalMessageView[] }>('/api/v1/portal/messages', { recipient: o.recipient, limit: o.limit });
      if (o.json) return ctx.print(json(messages));
      if (!messages.length) return ctx.print('no mails in the encryption portal');
      ctx.print(
        table(
          ['ID', 'STATE', 'RECIPIENT', 'SENDER', 'SIZE', 'CREATED', 'EXPIRES', 'PASSWORD', 'REPLIES', 'SUBJECT'],
          messages.map((m) => [m.id, m.state, m.recipient, m.sender || '<>', formatBytes(m.size), isoTime(m.createdAt), isoTime(m.expiresAt), m.password, String(m.replies), m.subject]),
        ),
      );
    });

  portal
    .command('delete <ID>')
    .description('Delete a mail from the portal (its link then says it is no longer available)')
    .action(async (id: string) => {
      await ctx.api().delete(`/api/v1/portal/messages/${encodeURIComponent(id)}`);
      ctx.print(`deleted ${id} from the encryption portal`);
    });

  portal
    .command('reset-password <ADDRESS>')
    .description("Forget a recipient's portal password: their next new mail asks them to set one")
    .action(async (address: string) => {
      const r = await ctx.api().delete<{ reset: string }>(`/api/v1/portal/accounts/${encodeURIComponent(address)}`);
      ctx.print(`portal password of ${r.reset} forgotten; their next mail asks for a new one`);
    });
}
