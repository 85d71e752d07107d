// `gatehouse archive search|export|show|verify`: search the archive (the query language of the
// API), export a search as mbox, show a message (or its raw mail), verify every stored mail, the
// index and the chain. verify exits 1 when anything fails and names the message or entry. Each
// call is in the compliance log.
import type { Command } from 'commander';
import type { ArchiveMessageView, ArchiveSearchResult } from '../../../services/mail-depot/archive-access.ts';
import type { ArchiveVerifyReport } from '../../../services/mail-depot/archive-verify.ts';
import type { CliContext } from '../context.ts';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { formatBytes, isoTime, json, positiveInt, table, UsageError } from '../format.ts';
import { printChainReport } from './compliance.ts';

const VERIFY_TIMEOUT_MS = 6 * 60 * 60_000;

export class ArchiveBrokenError extends Error {
  constructor(r: ArchiveVerifyReport) {
    const all = [...r.chain.problems.map((p) => p.detail), ...r.problems.map((p) => p.detail)];
    const more = all.length > 5 || r.truncated || r.chain.truncated ? `; and ${all.length > 5 ? all.length - 5 : ''} more` : '';
    super(`the archive fails verification: ${all.slice(0, 5).join('; ')}${more}`);
    this.name = 'ArchiveBrokenError';
  }
}

const archivePath = (id: string) => `/api/v1/archive/${encodeURIComponent(id)}`;

export function registerArchiveCommands(program: Command, ctx: CliContext): void {
  const archive = program.command('archive').description('The mail archive');

  archive
    .command('search [QUERY...]')
    .description('Search, newest first: from: to: subject: body: attachment: before:YYYY-MM-DD after:YYYY-MM-DD has:attachment "phrase" words -word')
    .option('--page <N>', 'page (50 messages each)', positiveInt)
    .option('--json', 'print the API\'s JSON')
    .action(async (words: string[], o: { page?: number; json?: boolean }) => {
      const q = words.join(' ');
      const r = await ctx.api().get<ArchiveSearchResult>('/api/v1/archive/search', { q, page: o.page });
      if (o.json) return ctx.print(json(r));
      if (!r.messages.length) {
        ctx.print('no messages');
      } else {
        ctx.print(
          table(
            ['ID', 'DATE', 'SIZE', 'FROM', 'TO', 'SUBJECT'],
            r.messages.map((m) => [m.id, isoTime(m.date), formatBytes(m.size), m.from, m.to, m.subject]),
          ),
        );
      }
      const pages = Math.max(1, Math.ceil(r.total / r.pageSize));
      ctx.note(`page ${r.page} of ${pages} (${r.total} message${r.total === 1 ? '' : 's'})`);
    });

  archive
    .command('export [QUERY...]')
    .description('Export every message a query finds (oldest first) into one file')
    .requiredOption('--out <FILE>', 'file to write (written as FILE.part, renamed when complete)')
    .option('--format <FORMAT>', 'mbox (zip is not available yet)', 'mbox')
    .action(async (words: string[], o: { out: string; format: string }) => {
      if (o.format !== 'mbox') throw new UsageError(`--format ${o.format}: only mbox is available (zip needs a zip library the gateway does not have yet)`);
      const q = (words ?? []).join(' ');
      const { headers, body } = await ctx.api().getStream('/api/v1/archive/export', { q, format: o.format });
      const total = Number(headers.get('x-gatehouse-messages') ?? 0);
      const part = `${o.out}.part`;
      let bytes = 0;
      body.on('data', (c: Buffer) => (bytes += c.length));
      try {
        await pipeline(body, createWriteStream(part, { mode: 0o600 }));
      } catch (err) {
        await rm(part, { force: true });
        throw new Error(`the export broke off after ${formatBytes(bytes)}: ${(err as Error).message}; nothing was written to ${o.out}`);
      }
      await rename(part, o.out);
      ctx.print(`exported ${total} message${total === 1 ? '' : 's'} (${formatBytes(bytes)}) to ${o.out}`);
    });

  archive
    .command('show <ID>')
    .description('A message: headers, text, attachments and each arrival')
    .option('--raw', 'print the mail as it was received')
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string, o: { raw?: boolean; json?: boolean }) => {
      if (o.raw) {
        const raw = await ctx.api().getRaw(`${archivePath(id)}/raw`);
        return ctx.print(raw.toString('utf8').replace(/\r?\n$/, ''));
      }
      const m = await ctx.api().get<ArchiveMessageView>(archivePath(id));
      if (o.json) return ctx.print(json(m));
      for (const [k, v] of m.headers) ctx.print(`${k}: ${v}`);
      ctx.print('');
      ctx.print(m.text.replace(/\s+$/, ''));
      if (m.partial) ctx.print(`\n[text incomplete: ${m.partial}]`);
      ctx.print('');
      for (const a of m.attachmentParts) ctx.print(`attachment: ${a.name || '(no name)'} ${a.contentType} ${formatBytes(a.size)}`);
      ctx.print(`archive id: ${m.id}  size ${formatBytes(m.size)}, stored ${formatBytes(m.storedSize)} (${m.compression}, key ${m.keyId})  sha256 ${m.contentHash}`);
      for (const d of m.deliveries) {
        ctx.print(`arrival ${d.seq}: ${isoTime(d.receivedAt)} ${d.direction} via ${d.source}${d.mailId ? ` as ${d.mailId}` : ''} from <${d.sender}> to ${d.recipients.map((r) => `<${r}>`).join(', ')}`);
      }
    });

  archive
    .command('verify')
    .description('Check every stored mail, the index and the chain; exits 1 and names what fails')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await ctx.api().post<ArchiveVerifyReport>('/api/v1/archive/verify', undefined, { timeoutMs: VERIFY_TIMEOUT_MS });
      if (o.json) {
        ctx.print(json(r));
      } else {
        ctx.print(`archive: ${r.messages} message(s) read back, ${r.problems.length}${r.truncated ? '+' : ''} problem(s)`);
        for (const p of r.problems) ctx.print(`  ${p.kind.padEnd(12)} ${p.detail}`);
        printChainReport(ctx, 'chain of arrivals', r.chain, 'entry');
      }
      if (!r.ok) throw new ArchiveBrokenError(r);
    });
}
