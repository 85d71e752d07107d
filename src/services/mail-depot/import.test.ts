// Bulk import on the real store: an mbox with a broken message and quoted "From " lines, a
// Maildir and a folder of .eml files; and an import stopped midway, then resumed from a lost
// checkpoint: no mail twice, none missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from '../compliance-log/index.ts';
import { loadOrCreateArchiveKey } from './archive-key.ts';
import type { ArchiveDeps } from './archive-writer.ts';
import { ArchiveImports, type ImportJob } from './import-job.ts';
import { readSource } from './import-sources.ts';
import { verifyArchive } from './archive-verify.ts';

async function withImports(fn: (c: { dir: string; store: SqliteStore; imports: ArchiveImports; deps: ArchiveDeps }) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-import-'));
  const store = openSqliteStore(join(dir, 'data'));
  try {
    const key = await loadOrCreateArchiveKey(join(dir, 'data'));
    const deps: ArchiveDeps = { store: store.archive, key, compression: 'brotli', limits: { maxParseBytes: 1 << 20, maxTextBytes: 1 << 16, deadlineMs: 5000 }, retentionDays: 3650 };
    const log = createLogger('test', []);
    const imports = new ArchiveImports({ settings: store.settings, archive: () => deps, compliance: new ComplianceLog(store.compliance, log), log });
    await fn({ dir, store, imports, deps });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function finished(imports: ArchiveImports, id: string): Promise<ImportJob> {
  for (;;) {
    const j = await imports.get(id);
    if (j.state !== 'running') return j;
    await sleep(10);
  }
}

const eml = (n: number, body = `body ${n}`) => `From: sender${n}@example.org\nTo: rcpt@example.test\nSubject: imported ${n}\nDate: Mon, 06 Jan 2025 10:00:00 +0000\n\n${body}\n`;

test('an mbox with a broken message: every mail archived, the broken one counted, quoted From lines restored', async () => {
  await withImports(async ({ dir, store, imports }) => {
    const mbox = join(dir, 'old.mbox');
    writeFileSync(
      mbox,
      [
        'From alice@example.org Mon Jan  6 10:00:00 2025',
        eml(1, 'first line\n>From the harbour we sailed\n>>From two levels').trimEnd(),
        '',
        'From MAILER-DAEMON Mon Jan  6 10:00:00 2025',
        'this message has no header at all',
        'and goes on',
        '',
        'From bob@example.org Mon Jan  6 10:00:00 2025',
        eml(3).trimEnd(),
        '',
      ].join('\n'),
    );
    const job = await finished(imports, (await imports.start(mbox, undefined, 'test')).id);
    assert.equal(job.state, 'done', job.error ?? '');
    assert.equal(job.format, 'mbox');
    assert.deepEqual([job.read, job.archived, job.duplicates, job.malformed], [3, 3, 0, 1]);
    assert.equal(job.bytesDone, job.bytesTotal);
    const items = [];
    for await (const it of readSource(mbox, 'mbox', { offset: 0, index: 0 })) items.push(it.body.toString());
    assert.match(items[0], /\r\nFrom the harbour we sailed\r\n>From two levels\r\n$/);
    const r = await store.archive.search({ terms: [{ field: 'any', text: 'harbour' }], offset: 0, limit: 10 });
    assert.equal(r.total, 1);
    assert.equal((await store.archive.search({ terms: [{ field: 'any', text: 'header' }], offset: 0, limit: 10 })).total, 1, 'the broken one is archived as it is');
  });
});

test('a Maildir and a folder of .eml files are imported; a mail in both is archived once', async () => {
  await withImports(async ({ dir, imports, store }) => {
    const md = join(dir, 'Maildir');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(md, sub), { recursive: true });
    writeFileSync(join(md, 'cur', '1700000000.1.host:2,S'), eml(1));
    writeFileSync(join(md, 'new', '1700000001.2.host'), eml(2));
    writeFileSync(join(md, 'tmp', 'ignored'), eml(9));
    const a = await finished(imports, (await imports.start(md, undefined, 'test')).id);
    assert.deepEqual([a.format, a.state, a.read, a.archived], ['maildir', 'done', 2, 2]);
    const folder = join(dir, 'emls');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.eml'), eml(1));
    writeFileSync(join(folder, 'b.EML'), eml(4));
    writeFileSync(join(folder, 'notes.txt'), 'not mail');
    const b = await finished(imports, (await imports.start(folder, undefined, 'test')).id);
    assert.deepEqual([b.format, b.state, b.read, b.archived, b.duplicates], ['eml', 'done', 2, 1, 1]);
    assert.equal((await store.archive.search({ terms: [], offset: 0, limit: 10 })).total, 3);
    assert.deepEqual((await imports.list()).map((j) => j.id), [a.id, b.id]);
  });
});

test('an import stopped midway and resumed from a lost checkpoint archives every mail exactly once', async () => {
  await withImports(async ({ dir, store, imports, deps }) => {
    const n = 1500;
    const mbox = join(dir, 'big.mbox');
    writeFileSync(mbox, Array.from({ length: n }, (_, i) => `From x@example.org Mon Jan  6 10:00:00 2025\n${eml(i)}\n`).join(''));
    const started = await imports.start(mbox, 'mbox', 'test');
    while ((await imports.get(started.id)).read < 300) await sleep(2);
    await imports.stopAll();
    const stopped = await imports.get(started.id);
    assert.equal(stopped.state, 'interrupted');
    assert.ok(stopped.read >= 300 && stopped.read < n, `stopped at ${stopped.read}`);
    // As if the process had died right after the start: the checkpoint lost every bit of progress.
    await store.settings.set(`archive:import:${started.id}`, { ...stopped, cursor: { offset: 0, index: 0 }, read: 0, archived: 0, bytesDone: 0 });
    const resumed = await finished(imports, (await imports.resume(started.id, 'test')).id);
    assert.equal(resumed.state, 'done');
    assert.equal(resumed.read, n);
    assert.equal(resumed.skipped, stopped.archived, 'mails archived before the stop are recognised');
    assert.equal(resumed.archived + resumed.skipped, n);
    assert.equal((await store.archive.search({ terms: [], offset: 0, limit: 1 })).total, n, 'none missing');
    assert.equal((await store.archive.scanEntries(0, 10 * n)).length, n, 'no arrival twice');
    const v = await verifyArchive(store.archive, (id) => (id === deps.key.id ? deps.key.key : undefined));
    assert.equal(v.ok, true);
  });
});
