// `gatehouse migrate --from sqlite --to postgres [--url URL]`: moves a stopped single-node
// appliance (dataDir of the config) into an empty PostgreSQL database (--url, or database.url of
// the config), with a progress bar on a terminal and a summary of what was copied and verified.
// It holds the data directory's lock while it runs, so the appliance cannot start meanwhile.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { loadConfig } from '../../../config/load.ts';
import type { ArchiveIndexDocument } from '../../../store/store.ts';
import { migrateSqliteToPostgres, type ArchivedForIndex, type MigrationSummary } from '../../../store/migrate-to-postgres.ts';
import { archiveKeyId, archiveKeyPath } from '../../../services/mail-depot/archive-key.ts';
import { unseal, unsealParts, unsealSync, type Compression } from '../../../services/mail-depot/sealed-blob.ts';
import { IndexExtractor, type ExtractLimits } from '../../../services/mail-depot/index-extractor.ts';
import type { CliContext } from '../context.ts';
import { table, UsageError } from '../format.ts';

/** Takes the data directory's lock (gatehouse.pid) or says who holds it; returns the unlock. */
function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'gatehouse.pid');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid && pid !== process.pid) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code !== 'ESRCH';
      }
      if (alive) throw new Error(`the appliance is running (process ${pid} holds ${dataDir}); stop it first: the migration copies a resting appliance`);
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      /* gone already */
    }
  };
}

/** Rebuilds an archived mail's index document as mail-depot made it (archive-writer.ts message()). */
function indexer(dataDir: string, limits: ExtractLimits): (m: ArchivedForIndex, blob: Readable) => Promise<ArchiveIndexDocument> {
  let key: { id: string; key: Buffer } | null = null;
  return async (m, blob) => {
    if (!key) {
      const file = archiveKeyPath(dataDir);
      if (!existsSync(file)) throw new Error(`${file} is missing: the archive cannot be read to rebuild its index`);
      const k = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
      key = { id: archiveKeyId(k), key: k };
    }
    const k = key;
    const keys = (id: string) => (id === k.id ? k.key : undefined);
    const whole = { contentHash: m.contentHash, size: m.size, compression: m.compression };
    const plain = m.body
      ? unsealParts([{ blob, compression: m.compression, dictionary: m.body.dict && m.compression === 'deflate-dict' ? unsealSync(m.body.dict, keys, m.body.compression as Compression) : undefined }, { blob: m.body.blob, compression: m.body.compression, expect: { contentHash: m.body.hash, size: m.body.size } }], keys, whole)
      : unseal(blob, keys, whole);
    const x = new IndexExtractor(limits);
    for await (const chunk of plain as AsyncIterable<Buffer>) await x.write(chunk);
    const e = await x.finish();
    const names = e.attachments.map((t) => t.name || `(${t.contentType})`);
    return {
      sender: [e.from, m.sender].filter(Boolean).join(' '),
      recipients: [e.to, e.cc, ...m.recipients].filter(Boolean).join(' '),
      subject: e.subject,
      body: e.text,
      attachments: [...names, e.attachmentText].join(' '),
      messageId: e.messageId,
    };
  };
}

/** A one-line progress bar on a terminal; one line per finished step otherwise. */
function progressPrinter(out: NodeJS.WriteStream): { update(p: { step: string; done: number; total: number }): void; end(): void } {
  let current = '';
  let last = 0;
  let lastLine = '';
  const tty = !!out.isTTY;
  const line = (p: { step: string; done: number; total: number }) => {
    const width = 30;
    const filled = p.total ? Math.round((p.done / p.total) * width) : width;
    return `  ${p.step.padEnd(20)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}`;
  };
  return {
    update(p) {
      if (p.step !== current) {
        if (tty && current) out.write('\n');
        current = p.step;
      }
      lastLine = line(p);
      const now = Date.now();
      if (tty && (now - last > 100 || p.done === p.total)) {
        out.write(`\r${lastLine}`);
        last = now;
      }
      if (!tty && p.done === p.total) out.write(`${lastLine}\n`);
    },
    end() {
      if (tty && current) out.write('\n');
    },
  };
}

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('Move this appliance (stopped) from SQLite into an empty PostgreSQL database (cluster mode)')
    .requiredOption('--from <BACKEND>', 'where the data is now: sqlite')
    .requiredOption('--to <BACKEND>', 'where it goes: postgres')
    .option('--url <URL>', 'the PostgreSQL database (default: database.url of the config)')
    .action(async (opts: { from: string; to: string; url?: string }) => {
      if (opts.from !== 'sqlite' || opts.to !== 'postgres') throw new UsageError('only --from sqlite --to postgres is supported');
      const { config } = loadConfig(program.opts<{ config?: string }>().config);
      const url = opts.url ?? config.database.url;
      if (!url) throw new UsageError('no PostgreSQL URL: give --url postgres://… or set database.url in the config');
      if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--url must be a postgres:// URL');
      const unlock = lockDataDir(config.dataDir);
      const bar = progressPrinter(process.stderr);
      let summary: MigrationSummary;
      try {
        ctx.note(`migrating ${config.dataDir} into ${url.replace(/\/\/[^@/]*@/, '//…@')}`);
        summary = await migrateSqliteToPostgres({
          dataDir: config.dataDir,
          url,
          indexDocument: indexer(config.dataDir, { maxParseBytes: config.archive.index.maxParseBytes, maxTextBytes: config.archive.index.maxTextBytes, deadlineMs: 30_000 }),
          onProgress: (p) => bar.update(p),
        });
      } finally {
        bar.end();
        unlock();
      }
      ctx.print(table(['WHAT', 'SQLITE', 'POSTGRESQL', 'CHECK'], summary.steps.map((s) => [s.step, String(s.source), String(s.target), s.source === s.target ? 'ok' : 'DIFFERS'])));
      if (!summary.ok) throw new Error('the counts differ: the PostgreSQL database is not a complete copy (see above)');
      ctx.print(
        `done in ${(summary.ms / 1000).toFixed(1)} s: every count matches. Next: set database.url (and a nodeId per node) in the config, ` +
          `copy ${join(config.dataDir, 'keys')} to every node's dataDir, and start the nodes.`,
      );
    });
}
