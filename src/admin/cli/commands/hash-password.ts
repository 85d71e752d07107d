// `gatehouse hash-password`: reads a password on stdin and prints the scrypt hash to put in
// the config (smtp.users[].password), so no clear-text password needs to live in gatehouse.yaml.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { hashPassword } from '../../../core/password.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerHashPasswordCommand(program: Command, ctx: CliContext): void {
  program
    .command('hash-password')
    .description('Read a password from stdin and print its scrypt hash for the config file')
    .action(async () => {
      const pw = await readStdin();
      if (!pw) throw new Error('no password on stdin');
      ctx.print(await hashPassword(pw));
    });
}
