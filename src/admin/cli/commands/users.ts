// `gatehouse users list|add|delete|passwd`: the console's local users. Passwords come from stdin
// with --password-stdin (never from the command line, where `ps` and shell history would see them).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { UsageError, isoTime, json, table } from '../format.ts';

interface User {
  name: string;
  role: string;
  email: string | null;
  source?: 'local' | 'ldap';
  createdAt: number;
}

async function readPassword(stdin: boolean): Promise<string> {
  if (!stdin) throw new UsageError('give the password on stdin with --password-stdin');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const pw = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!pw) throw new UsageError('no password on stdin');
  return pw;
}

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('Console users (admin, auditor, helpdesk, user)');
  users
    .command('list')
    .description('List the console users')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const r = await ctx.api().get<{ users: User[] }>('/api/v1/users');
      if (o.json) return ctx.print(json(r.users));
      ctx.print(table(['NAME', 'ROLE', 'EMAIL', 'SOURCE', 'CREATED'], r.users.map((u) => [u.name, u.role, u.email ?? '-', u.source ?? 'local', isoTime(u.createdAt)])));
    });
  users
    .command('add <name>')
    .description('Add a console user')
    .requiredOption('--role <ROLE>', 'admin, auditor, helpdesk or user')
    .option('--email <ADDRESS>', 'e-mail address (a user sees the mail of this address)')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, o: { role: string; email?: string; passwordStdin?: boolean }) => {
      const password = await readPassword(!!o.passwordStdin);
      const u = await ctx.api().post<User>('/api/v1/users', { name, role: o.role, ...(o.email ? { email: o.email } : {}), password });
      ctx.print(`added ${u.name} (${u.role})`);
    });
  users
    .command('delete <name>')
    .description('Delete a console user (their sessions end)')
    .action(async (name: string) => {
      await ctx.api().delete(`/api/v1/users/${encodeURIComponent(name)}`);
      ctx.print(`deleted ${name}`);
    });
  users
    .command('passwd <name>')
    .description("Set a console user's password (their sessions end)")
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, o: { passwordStdin?: boolean }) => {
      const password = await readPassword(!!o.passwordStdin);
      await ctx.api().put(`/api/v1/users/${encodeURIComponent(name)}/password`, { password });
      ctx.print(`password of ${name} changed`);
    });
}
