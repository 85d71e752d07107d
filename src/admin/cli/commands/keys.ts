// `gatehouse keys`: the mail-sealer's certificates and OpenPGP keys — list, show, import (PEM,
// DER, PKCS#12 or OpenPGP; the gateway works out which), export, issue (built-in CA, or --pgp),
// delete, and ca (the built-in CA's certificate).
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { KeyView } from '../../../services/mail-sealer/keys/keyring.ts';
import type { CliContext } from '../context.ts';
import { isoTime, json, positiveInt, table, UsageError } from '../format.ts';

const day = (ms: number | null) => (ms === null ? '-' : isoTime(ms).slice(0, 10));

function rows(keys: KeyView[]): string {
  return table(
    ['ID', 'KIND', 'SOURCE', 'PRIVATE', 'ADDRESSES', 'VALID UNTIL', 'SUBJECT'],
    keys.map((k) => [k.id.slice(0, 16), k.isCa ? `${k.kind} (CA)` : k.kind, k.source, k.hasPrivateKey ? 'yes' : 'no', k.addresses.join(',') || '-', day(k.notAfter), k.subject]),
  );
}

export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('Certificates and OpenPGP keys of the mail-sealer');

  /** A full id, or a unique prefix of one (as `keys list` prints them). */
  async function resolve(id: string): Promise<string> {
    if (!/^[0-9a-fA-F]{4,64}$/.test(id)) throw new UsageError(`not a key id: ${id}`);
    if (id.length === 64 || id.length === 40) return id.toLowerCase();
    const all = (await ctx.api().get<{ keys: KeyView[] }>('/api/v1/keys')).keys.filter((k) => k.id.startsWith(id.toLowerCase()));
    if (all.length !== 1) throw new UsageError(all.length ? `key id ${id} is ambiguous` : `no key with id ${id}`);
    return all[0].id;
  }

  keys
    .command('list')
    .description('List keys, newest first')
    .option('--address <ADDRESS>', 'only keys for this address ("@domain" for domain keys)')
    .option('--kind <KIND>', 'x509 or pgp')
    .option('--source <SOURCE>', 'import, issued, harvested or ca')
    .option('--json', 'print JSON')
    .action(async (o: { address?: string; kind?: string; source?: string; json?: boolean }) => {
      const r = await ctx.api().get<{ keys: KeyView[] }>('/api/v1/keys', { address: o.address, kind: o.kind, source: o.source });
      ctx.print(o.json ? json(r.keys) : r.keys.length ? rows(r.keys) : 'no keys');
    });

  keys
    .command('show <ID>')
    .description('Show one key')
    .action(async (id: string) => ctx.print(json(await ctx.api().get<KeyView>(`/api/v1/keys/${await resolve(id)}`))));

  keys
    .command('import <FILE>')
    .description('Import a certificate (PEM/DER), a private key for a held certificate, a PKCS#12 bundle or an OpenPGP key')
    .option('--password <P>', 'opens a PKCS#12 bundle, an encrypted private key or a protected OpenPGP secret key')
    .option('--address <ADDRESS...>', 'addresses of the main key instead of its own (e.g. @example.test for a domain certificate)')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { password?: string; address?: string[]; json?: boolean }) => {
      const data = await readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      const r = await ctx.api().post<{ keys: KeyView[] }>('/api/v1/keys/import', { data: data.toString('base64'), password: o.password, addresses: o.address });
      if (o.json) return ctx.print(json(r.keys));
      ctx.print(`imported ${r.keys.length} key(s)`);
      ctx.print(rows(r.keys));
    });

  keys
    .command('export <ID>')
    .description('Export the certificate or public key; with --private the private key too (PKCS#12 needs --password)')
    .option('--private', 'include the private key')
    .option('--password <P>', 'protects the exported private key')
    .option('--format <FORMAT>', 'pkcs12 (default with --private) or pem, for certificates')
    .option('--out <FILE>', 'write to this file (default: stdout; a PKCS#12 bundle needs --out)')
    .action(async (id: string, o: { private?: boolean; password?: string; format?: string; out?: string }) => {
      if (o.format && o.format !== 'pem' && o.format !== 'pkcs12') throw new UsageError('--format is pem or pkcs12');
      const r = await ctx.api().post<{ format: string; filename: string; data: string }>(`/api/v1/keys/${await resolve(id)}/export`, {
        private: o.private,
        password: o.password,
        format: o.format,
      });
      const data = Buffer.from(r.data, 'base64');
      if (o.out) {
        await writeFile(o.out, data, { mode: o.private ? 0o600 : 0o644 });
        return ctx.note(`wrote ${r.format} to ${o.out}`);
      }
      if (r.format === 'pkcs12') throw new UsageError('a PKCS#12 bundle is binary; give --out FILE');
      ctx.print(data.toString('utf8').trimEnd());
    });

  keys
    .command('issue <ADDRESS>')
    .description('Issue a user S/MIME certificate from the built-in CA (or an OpenPGP key with --pgp) for a local address')
    .option('--pgp', 'make an OpenPGP key instead')
    .option('--days <N>', 'validity of the certificate in days', positiveInt)
    .option('--json', 'print JSON')
    .action(async (address: string, o: { pgp?: boolean; days?: number; json?: boolean }) => {
      const k = await ctx.api().post<KeyView>('/api/v1/keys/issue', { address, pgp: o.pgp, days: o.days });
      ctx.print(o.json ? json(k) : rows([k]));
    });

  keys
    .command('delete <ID>')
    .description('Delete a key')
    .action(async (id: string) => {
      const r = await ctx.api().delete<{ deleted: string }>(`/api/v1/keys/${await resolve(id)}`);
      ctx.print(`deleted ${r.deleted}`);
    });

  keys
    .command('ca')
    .description("Print the built-in CA's certificate (PEM)")
    .action(async () => ctx.print((await ctx.api().get<{ certificate: string }>('/api/v1/keys/ca')).certificate.trimEnd()));
}
