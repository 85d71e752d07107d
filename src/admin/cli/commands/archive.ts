// `gatehouse archive search|export|import|imports|show|redeliver|verify` (hold and expire: archive-holds.ts): search the archive (the query
// language of the API), export a search as mbox or zip of .eml files, import mbox / .eml / Maildir with progress and
// a summary, show a message (or its raw mail), verify every stored mail, the index and the
// chain. verify exits 1 when anything fails and names what. Each call is in the compliance log.
import type { Command } from 'commander';
import type { ArchiveMessageView, ArchiveSearchResult } from '../../../services/mail-depot/archive-access.ts';
import type { ArchiveVerifyReport } from '../../../services/mail-depot/archive-verify.ts';
import type { CliContext } from '../context.ts';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImportJob } from '../../../services/mail-depot/import-job.ts';
import { formatBytes, isoTime, json, positiveInt, table, UsageError } from '../format.ts';
import { printChainReport } from './compliance.ts';
import { registerArchiveHoldCommands } from './archive-holds.ts';

const VERIFY_TIMEOUT_MS = 6 * 60 * 60_000;

export class ArchiveBrokenError extends Error {
  constructor(r: ArchiveVerifyReport) {
    const all = [...r.chain.problems.map((p) => p.detail), ...r.deletions.problems.map((p) => p.detail), ...r.problems.map((p) => p.detail)];
    const more = all.length > 5 || r.truncated || r.chain.truncated ? `; and ${all.length > 5 ? all.length - 5 : ''} more` : '';
    super(`the archive fails verification: ${all.slice(0, 5).join('; ')}${more}`);
    this.name = 'ArchiveBrokenError';
  }
}

const archivePath = (id: string) => `/api/v1/archive/${encodeURIComponent(id)}`;
const IMPORT_POLL_MS = 500;

const percent = (j: ImportJob) => (j.bytesTotal ? `${Math.min(100, Math.floor((j.bytesDone / j.bytesTotal) * 100))}%` : '-');

export function importSummary(j: ImportJob): string {
  const secs = Math.max(0, Math.round((j.updatedAt - j.startedAt) / 1000));
  return (
    `import ${j.id} ${j.state}: ${j.read} mail(s) read from ${j.path} in ${secs}s — ${j.archived} archived, ` +
    `${j.duplicates} already in the archive, ${j.malformed} malformed (archived as they are)` +
    (j.skipped ? `, ${j.skipped} done before the resume` : '')
  );
}

/** A redrawn bar when stderr is a terminal; otherwise a line at every 10 %. */
function progressBar(ctx: CliContext): (j: ImportJob, last?: boolean) => void {
  const tty = process.stderr.isTTY;
  let shown = -1;
  return (j, last = false) => {
    const frac = j.bytesTotal ? Math.min(1, j.bytesDone / j.bytesTotal) : 0;
    const text = `${percent(j).padStart(4)} ${j.read} mails, ${formatBytes(j.bytesDone)} of ${formatBytes(j.bytesTotal)}`;
    if (tty) {
      const width = 30;
      const full = Math.round(frac * width);
      process.stderr.write(`\r\x1b[K[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${text}${last ? '\n' : ''}`);
      return;
    }
    const step = Math.floor(frac * 10);
    if (step > shown || last) {
      shown = step;
      ctx.note(text);
    }
  };
}

export function registerArchiveCommands(program: Command, ctx: CliContext): void {
  const archive = program.command('archive').description('The mail archive');
  registerArchiveHoldCommands(archive, ctx);

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
    .option('--format <FORMAT>', 'mbox (one file, mboxrd) or zip (one .eml per message)', 'mbox')
    .action(async (words: string[], o: { out: string; format: string }) => {
      if (o.format !== 'mbox' && o.format !== 'zip') throw new UsageError(`--format ${o.format}: use mbox or zip`);
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
    .command('import [PATH]')
    .description('Import an mbox file, a folder of .eml files or a Maildir on the appliance; shows progress and a summary')
    .option('--format <FORMAT>', 'mbox, eml or maildir (default: from what PATH is)')
    .option('--resume <JOB>', 'resume an interrupted or failed import from its last checkpoint')
    .option('--detach', 'start the import and return; follow it with `archive imports`')
    .action(async (path: string | undefined, o: { format?: string; resume?: string; detach?: boolean }) => {
      if (!path && !o.resume) throw new UsageError('archive import: give a PATH, or --resume JOB');
      if (o.format && !['mbox', 'eml', 'maildir'].includes(o.format)) throw new UsageError(`--format ${o.format}: use mbox, eml or maildir`);
      const api = ctx.api();
      let job = o.resume
        ? await api.post<ImportJob>(`/api/v1/archive/imports/${encodeURIComponent(o.resume)}/resume`)
        : await api.post<ImportJob>('/api/v1/archive/imports', { path: resolve(path!), ...(o.format ? { format: o.format } : {}) });
      ctx.note(`import ${job.id}: ${job.format} ${job.path}`);
      if (o.detach) return ctx.print(job.id);
      const bar = progressBar(ctx);
      while (job.state === 'running') {
        bar(job);
        await sleep(IMPORT_POLL_MS);
        job = await api.get<ImportJob>(`/api/v1/archive/imports/${encodeURIComponent(job.id)}`);
      }
      bar(job, true);
      ctx.print(importSummary(job));
      if (job.state !== 'done') throw new Error(`import ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}; resume it with --resume ${job.id}`);
    });

  archive
    .command('imports')
    .description('Archive import jobs and their progress')
    .option('--json', 'print the API\'s JSON')
    .action(async (o: { json?: boolean }) => {
      const { imports } = await ctx.api().get<{ imports: ImportJob[] }>('/api/v1/archive/imports');
      if (o.json) return ctx.print(json(imports));
      if (!imports.length) return ctx.print('no imports');
      ctx.print(
        table(
          ['JOB', 'STATE', 'FORMAT', 'READ', 'ARCHIVED', 'DUPLICATES', 'MALFORMED', 'DONE', 'PATH'],
          imports.map((j) => [j.id, j.state, j.format, String(j.read), String(j.archived), String(j.duplicates), String(j.malformed), percent(j), j.path]),
        ),
      );
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
    .command('redeliver <ID>')
    .description('Put an archived mail back into the mail flow for its original recipients (or --to)')
    .option('--to <ADDRESS>', 'deliver to this address instead (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--json', 'print the API\'s JSON')
    .action(async (id: string, o: { to?: string[]; json?: boolean }) => {
      const r = await ctx.api().post<{ archiveId: string; mailId: string; recipients: string[] }>(`${archivePath(id)}/redeliver`, o.to ? { to: o.to } : {});
      if (o.json) return ctx.print(json(r));
      ctx.print(`archived message ${r.archiveId} queued for delivery as ${r.mailId} to ${r.recipients.map((a) => `<${a}>`).join(', ')}`);
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
        ctx.print(`archive: ${r.messages} message(s) read back, ${r.deleted} deleted by the expiry job, ${r.problems.length}${r.truncated ? '+' : ''} problem(s)`);
        for (const p of r.problems) ctx.print(`  ${p.kind.padEnd(12)} ${p.detail}`);
        printChainReport(ctx, 'chain of arrivals', r.chain, 'entry');
        printChainReport(ctx, 'chain of deletions', r.deletions, 'deletion');
      }
      if (!r.ok) throw new ArchiveBrokenError(r);
    });
}
