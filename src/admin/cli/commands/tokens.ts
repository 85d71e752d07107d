// `gatehouse tokens create|list|revoke`: named API tokens for scripts. A new token is printed
// once (on stdout alone, so `TOKEN=$(gatehouse tokens create NAME --role auditor)` works).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { isoTime, json, table } from '../format.ts';

interface Token {
  name: string;
  role: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
}

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('Named API tokens for scripts (Authorization: Bearer TOKEN)');
  tokens
    .command('create <name>')
    .description('Create a token with a role; it is printed this once')
    .requiredOption('--role <ROLE>', 'admin, auditor, helpdesk or user')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { role: string; json?: boolean }) => {
      const t = await ctx.api().post<Token & { token: string }>('/api/v1/tokens', { name, role: o.role });
      ctx.print(o.json ? json(t) : t.token);
    });
  tokens
    .command('list')
    .description('List the tokens (never the tokens themselves)')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const r = await ctx.api().get<{ tokens: Token[] }>('/api/v1/tokens');
      if (o.json) return ctx.print(json(r.tokens));
      ctx.print(table(['NAME', 'ROLE', 'CREATED', 'BY', 'LAST USED'], r.tokens.map((t) => [t.name, t.role, isoTime(t.createdAt), t.createdBy, t.lastUsedAt ? isoTime(t.lastUsedAt) : '-'])));
    });
  tokens
    .command('revoke <name>')
    .description('Revoke a token (it stops working at once)')
    .action(async (name: string) => {
      await ctx.api().delete(`/api/v1/tokens/${encodeURIComponent(name)}`);
      ctx.print(`revoked ${name}`);
    });
}
