// The PostgreSQL archive: the archive conformance suite, the same search answers as SQLite FTS5
// for the same mail and queries, retention/holds/deletions as on SQLite, chunked blobs streamed
// back whole, group commit, and two nodes archiving at once: one chain, one message per content.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseQuery } from '../../services/mail-depot/query.ts';
import { archiveStoreConformance } from '../archive-conformance.ts';
import { openSqliteArchive } from '../sqlite/archive-store.ts';
import type { ArchiveDeletion, ArchiveEntry, ArchiveStore, NewArchivedMessage } from '../store.ts';
import { PgArchiveStore } from './archive-store.ts';
import { pgFixture } from './pg-fixture.ts';

const fx = pgFixture();

archiveStoreConformance({ name: 'postgres', open: () => fx.open() });

interface Doc {
  subject: string;
  from: string;
  to: string;
  body: string;
  attachments?: string[];
  day: number;
}

let counter = 0;
function message(d: Doc, over: Partial<NewArchivedMessage> = {}): NewArchivedMessage {
  const n = ++counter;
  const id = `A${String(n).padStart(19, '0')}`;
  return {
    id,
    contentHash: `hash-${d.subject}-${d.body}`,
    size: 100,
    storedSize: 50,
    compression: 'gzip',
    keyId: 'k1',
    date: Date.UTC(2025, 0, d.day),
    from: d.from,
    to: d.to,
    cc: '',
    subject: d.subject,
    messageId: `<m${n}@example.org>`,
    attachments: d.attachments ?? [],
    retainUntil: Date.UTC(2035, 0, 1),
    addresses: [d.from, ...d.to.split(',')].map((x) => (/<([^>]+)>/.exec(x)?.[1] ?? x).trim().toLowerCase()),
    blob: { inline: Buffer.from(`blob ${n}`) },
    index: { sender: d.from, recipients: d.to, subject: d.subject, body: d.body, attachments: (d.attachments ?? []).join(' '), messageId: `<m${n}@example.org>` },
    ...over,
  };
}

const entry = (mailId: string | null = null) => (last: { seq: number; hash: string } | null, archiveId: string): ArchiveEntry => ({
  seq: (last?.seq ?? 0) + 1,
  at: Date.now(),
  archiveId,
  contentHash: 'h',
  mailId,
  receivedAt: Date.now(),
  direction: 'inbound',
  source: 'smtp',
  sender: 's@x.test',
  recipients: ['r@y.test'],
  clientIp: '127.0.0.1',
  trace: null,
  prevHash: last?.hash ?? 'genesis',
  hash: `e-${(last?.seq ?? 0) + 1}-${randomBytes(4).toString('hex')}`,
});

const CORPUS: Doc[] = [
  { subject: 'Quarterly report Q3', from: 'Alice Example <alice@example.org>', to: 'bob@example.test', body: 'Please find the quarterly report attached.', attachments: ['q3-report.xlsx'], day: 3 },
  { subject: 'Lunch tomorrow?', from: 'bob@example.test', to: 'alice@example.org', body: 'Shall we have lunch at the café near the station?', day: 4 },
  { subject: 'Re: Lunch tomorrow?', from: 'alice@example.org', to: 'bob@example.test', body: 'Yes, the cafe is fine. Twelve o\'clock.', day: 5 },
  { subject: 'Über die Prüfung', from: 'jürgen@beispiel.de', to: 'team@example.test', body: 'Die Prüfung ist am Montag. Bitte pünktlich sein.', day: 6 },
  { subject: 'Invoice 2025-0042', from: 'billing@vendor.test', to: 'accounts@example.test', body: 'Invoice number 2025-0042 is due on 2025-02-01. Amount: 1,234.56 EUR', attachments: ['invoice-2025-0042.pdf'], day: 7 },
  { subject: 'password reset', from: 'no-reply@service.test', to: 'alice@example.org', body: 'Click the link to reset your password: https://service.test/reset?token=abc123', day: 8 },
  { subject: 'Meeting notes', from: 'carol@example.org', to: 'team@example.test, bob@example.test', body: 'Notes: the budget was approved. Next meeting on Friday. Draft attached.', attachments: ['notes draft.docx'], day: 9 },
  { subject: 'Draft budget', from: 'carol@example.org', to: 'alice@example.org', body: 'Here is the draft of the budget for review.', attachments: ['budget.xlsx'], day: 10 },
  { subject: 'Ελληνικά νέα', from: 'nikos@example.gr', to: 'team@example.test', body: 'Καλημέρα σε όλους, η συνάντηση είναι αύριο.', day: 11 },
  { subject: 'Server alerts', from: 'monitor@ops.test', to: 'ops@example.test', body: 'CPU load 95% on host db-01. Disk /var at 88%. exact words here', day: 12 },
  { subject: 'exact words', from: 'dave@example.org', to: 'ops@example.test', body: 'words exact in reverse order', day: 13 },
  { subject: 'Newsletter', from: 'news@shop.test', to: 'alice@example.org', body: 'Big sale! 50% off everything. Unsubscribe at any time.', day: 14 },
  { subject: 'Naïve résumé', from: 'zoë@example.fr', to: 'hr@example.test', body: 'Attached is my résumé for the naïve-bayes position.', attachments: ['résumé.pdf'], day: 15 },
  { subject: 'Same day one', from: 'x@a.test', to: 'y@b.test', body: 'ordering check alpha', day: 16 },
  { subject: 'Same day two', from: 'x@a.test', to: 'y@b.test', body: 'ordering check beta', day: 16 },
];

const QUERIES = [
  '',
  'report',
  'quarterly report',
  '"quarterly report"',
  '"report quarterly"',
  'from:alice',
  'from:alice@example.org',
  'to:bob',
  'to:"bob@example.test"',
  'subject:lunch',
  'subject:"lunch tomorrow"',
  'cafe',
  'café',
  'Prüfung',
  'prufung',
  'from:jürgen',
  'body:pünktlich',
  'attachment:xlsx',
  'attachment:"q3-report.xlsx"',
  'filename:invoice',
  'has:attachment',
  '-has:attachment',
  'has:attachment budget',
  'budget -draft',
  'draft -budget',
  'draft -attachment:docx',
  '"exact words"',
  'subject:"exact words"',
  'body:"exact words"',
  'words exact',
  'after:2025-01-08',
  'before:2025-01-08',
  'after:2025-01-05 before:2025-01-10',
  'after:2025-01-05 before:2025-01-10 alice -lunch',
  'καλημέρα',
  'συνάντηση',
  'resume',
  'naive bayes',
  '"naive bayes"',
  'zoe',
  '2025-0042',
  '"2025 0042"',
  '1,234.56',
  '95%',
  'db-01',
  'https://service.test/reset',
  'token=abc123',
  're:lunch',
  '!!!',
  'check',
  'ordering check',
  'm3@example.org',
  'nothingmatchesthis',
  'from:carol to:alice',
  'from:carol -to:alice',
];

async function archiveCorpus(store: ArchiveStore): Promise<void> {
  counter = 0;
  for (const d of CORPUS) await store.archive({ message: message(d), entry: entry() });
}

test('postgres archive search answers like SQLite FTS5 for the same mail and queries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-archive-parity-'));
  const sqlite = openSqliteArchive(dir);
  const { store, cleanup } = await fx.open();
  try {
    await archiveCorpus(sqlite);
    await archiveCorpus(store.archive);
    let nonEmpty = 0;
    for (const q of QUERIES) {
      const parsed = parseQuery(q);
      for (const page of [{ offset: 0, limit: 50 }, { offset: 2, limit: 3 }]) {
        const a = await sqlite.search({ ...parsed, ...page });
        const b = await store.archive.search({ ...parsed, ...page });
        assert.deepEqual(
          b.messages.map((m) => m.subject),
          a.messages.map((m) => m.subject),
          `query ${JSON.stringify(q)} ${JSON.stringify(page)}`,
        );
        assert.equal(b.total, a.total, `total of ${JSON.stringify(q)}`);
        if (a.total > 0 && a.total < CORPUS.length) nonEmpty++;
      }
    }
    assert.ok(nonEmpty > 60, `the queries tell messages apart (${nonEmpty})`);
    // ids: which of these messages a query finds (legal holds by query).
    const all = await store.archive.search({ terms: [], offset: 0, limit: 100 });
    const ids = all.messages.slice(0, 5).map((m) => m.id);
    const byIds = await store.archive.search({ ...parseQuery('alice'), ids, offset: 0, limit: 100 });
    const sqliteIds = (await sqlite.search({ terms: [], offset: 0, limit: 100 })).messages.slice(0, 5).map((m) => m.id);
    assert.equal(byIds.total, (await sqlite.search({ ...parseQuery('alice'), ids: sqliteIds, offset: 0, limit: 100 })).total);
    assert.equal((await store.archive.search({ terms: [], ids: [], offset: 0, limit: 10 })).total, 0);
    // participants: exact addresses of the headers and of every arrival's envelope.
    for (const participants of [['alice@example.org'], ['BOB@example.test', 'carol@example.org'], ['s@x.test'], ['r@y.test'], ['alice'], []]) {
      for (const q of ['', 'budget', '-has:attachment']) {
        const a = await sqlite.search({ ...parseQuery(q), participants, offset: 0, limit: 50 });
        const b = await store.archive.search({ ...parseQuery(q), participants, offset: 0, limit: 50 });
        assert.deepEqual(b.messages.map((m) => m.subject), a.messages.map((m) => m.subject), `participants ${participants} ${q}`);
        assert.equal(b.total, a.total);
      }
    }
    assert.equal((await store.archive.search({ terms: [], participants: ['alice@example.org'], offset: 0, limit: 50 })).total, 6);
  } finally {
    await cleanup();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('postgres archive: a large blob is stored in chunk rows and read back as a stream', async () => {
  const { store, cleanup } = await fx.open();
  const db = store.db;
  const archive = new PgArchiveStore(db, { chunkBytes: 256 * 1024 });
  try {
    const content = randomBytes(3 * 1024 * 1024 + 123);
    const w = await archive.createBlob();
    for (let i = 0; i < content.length; i += 64 * 1024) await w.write(content.subarray(i, i + 64 * 1024));
    const ref = await w.commit();
    assert.ok('file' in ref, 'larger than the inline limit: chunked');
    const r = await archive.archive({ message: message(CORPUS[0], { blob: ref, contentHash: 'big' }), entry: entry() });
    const rows = await db.query<{ n: number; len: number }>('SELECT n, length(data) AS len FROM archive_blob_chunks ORDER BY n');
    assert.equal(rows.rowCount, 13);
    assert.ok(rows.rows.every((x) => x.len <= 256 * 1024));
    const parts: Buffer[] = [];
    let reads = 0;
    for await (const c of await archive.openBlob(r.entry.archiveId)) (parts.push(c as Buffer), reads++);
    assert.ok(Buffer.concat(parts).equals(content));
    assert.equal(reads, 13, 'one chunk at a time');

    // The same content again: the second blob's chunks are dropped.
    const w2 = await archive.createBlob();
    await w2.write(content);
    const again = await archive.archive({ message: message(CORPUS[0], { blob: await w2.commit(), contentHash: 'big' }), entry: entry() });
    assert.equal(again.deduplicated, true);
    assert.equal((await db.query('SELECT DISTINCT blob_key FROM archive_blob_chunks')).rowCount, 1);

    // An aborted blob leaves nothing; an unfinished one of a dead writer is swept after the grace.
    const w3 = await archive.createBlob();
    await w3.write(randomBytes(600 * 1024));
    await w3.abort();
    assert.equal((await db.query('SELECT DISTINCT blob_key FROM archive_blob_chunks')).rowCount, 1);
    const dead = await new PgArchiveStore(db, { chunkBytes: 256 * 1024 }).createBlob();
    await dead.write(randomBytes(600 * 1024));
    assert.equal(await archive.sweep(), 0, 'within the grace period another node may still be writing');
    assert.equal(await new PgArchiveStore(db, { sweepGraceMs: -1000 }).sweep(), 1);
    assert.equal((await db.query('SELECT DISTINCT blob_key FROM archive_blob_chunks')).rowCount, 1, 'the archived blob stays');

    // Expiry removes the chunks with the message.
    await db.query('UPDATE archive_messages SET retain_until = 0');
    const d = await archive.remove(r.entry.archiveId, Date.now(), deletion);
    assert.ok(d);
    assert.equal((await db.query('SELECT 1 FROM archive_blob_chunks')).rowCount, 0);
  } finally {
    await cleanup();
  }
});

const deletion = (last: { seq: number; hash: string } | null, m: { id: string; contentHash: string; archivedAt: number; retainUntil: number }): ArchiveDeletion => ({
  seq: (last?.seq ?? 0) + 1,
  at: Date.now(),
  archiveId: m.id,
  contentHash: m.contentHash,
  archivedAt: m.archivedAt,
  retainUntil: m.retainUntil,
  reason: 'retention',
  actor: 'test',
  prevHash: last?.hash ?? 'genesis',
  hash: `d-${(last?.seq ?? 0) + 1}`,
});

/** Retention, holds and deletions: the same steps on a backend, returning what it saw. */
async function retentionScenario(s: ArchiveStore): Promise<unknown[]> {
  counter = 100;
  const seen: unknown[] = [];
  const early = message({ ...CORPUS[1], body: 'early' }, { retainUntil: 1000 });
  const held = message({ ...CORPUS[2], body: 'held' }, { retainUntil: 1000 });
  const late = message({ ...CORPUS[3], body: 'late' }, { retainUntil: 5000 });
  for (const m of [early, held, late]) await s.archive({ message: m, entry: entry() });
  // A later arrival of the same content extends the retention, never shortens it.
  await s.archive({ message: { ...late, id: 'A-dup', retainUntil: 9000 }, entry: entry() });
  await s.archive({ message: { ...late, id: 'A-dup2', retainUntil: 10 }, entry: entry() });
  seen.push((await s.get(late.id))?.retainUntil);
  await s.addHold({ id: 'H1', archiveId: held.id, query: null, reason: 'case 1', createdBy: 'admin', createdAt: 10 });
  await s.addHold({ id: 'H0', archiveId: null, query: 'from:bob', reason: 'case 2', createdBy: 'admin', createdAt: 5 });
  seen.push((await s.holds()).map((h) => h.id));
  seen.push((await s.scanExpired(2000, 0, 10)).map((x) => x.record.id), 'held or not');
  seen.push(await s.remove(held.id, 2000, deletion), await s.remove(late.id, 2000, deletion), await s.remove('nope', 2000, deletion));
  const d = await s.remove(early.id, 2000, deletion);
  seen.push(d && { ...d, at: 0, archivedAt: 0 });
  seen.push(await s.get(early.id), (await s.deletionOf(early.id))?.seq, (await s.scanDeletions(0, 10)).map((x) => x.record.archiveId));
  seen.push((await s.entriesOf(early.id)).length, 'arrivals stay');
  seen.push((await s.search({ terms: [], offset: 0, limit: 10 })).total, await s.orphanIndexRows());
  const removed = await s.removeHold('H1', 'auditor', 50);
  seen.push(removed && { ...removed }, await s.removeHold('H1', 'auditor', 60));
  seen.push((await s.holds()).map((h) => h.id), (await s.holds(true)).map((h) => [h.id, h.removedBy, h.removedAt]));
  seen.push((await s.scanExpired(2000, 0, 10)).map((x) => x.record.id));
  seen.push((await s.remove(held.id, 2000, deletion))?.seq);
  seen.push(await s.hasArrival('nope'));
  return seen;
}

test('postgres archive: retention, legal holds and deletions behave as on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-archive-retention-'));
  const sqlite = openSqliteArchive(dir);
  const { store, cleanup } = await fx.open();
  try {
    const a = await retentionScenario(sqlite);
    const b = await retentionScenario(store.archive);
    assert.deepEqual(b, a);
    assert.equal(a[0], 9000);
    assert.equal(a[a.length - 2], 2, 'the hold removed, the message goes');
  } finally {
    await cleanup();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('postgres archive: two nodes archiving at once make one chain and one message per content', async () => {
  const a = await fx.open(undefined, 'node-a');
  const b = await fx.open(a.url, 'node-b');
  try {
    const jobs = [];
    for (let i = 0; i < 30; i++) {
      // Every content arrives on both nodes at the same moment.
      const doc = { ...CORPUS[i % CORPUS.length], body: `content ${i}` };
      jobs.push(a.store.archive.archive({ message: message(doc), entry: entry(`a-${i}`) }));
      jobs.push(b.store.archive.archive({ message: message(doc), entry: entry(`b-${i}`) }));
    }
    const results = await Promise.all(jobs);
    assert.equal(results.filter((r) => !r.deduplicated).length, 30, 'one message per content');
    for (let i = 0; i < 60; i += 2) assert.equal(results[i].entry.archiveId, results[i + 1].entry.archiveId);
    const links = await a.store.archive.scanEntries(0, 1000);
    assert.equal(links.length, 60);
    links.forEach((l, i) => {
      assert.equal(l.record.seq, i + 1, 'storage order is chain order');
      assert.equal(l.record.prevHash, i ? links[i - 1].record.hash : 'genesis', 'no two links share a predecessor');
    });
    const messages = await b.store.archive.scanMessages(0, 1000);
    assert.equal(messages.length, 30);
    assert.ok(messages.every((m) => m.record.indexed));
    assert.equal((await b.store.archive.search({ ...parseQuery('"content 7"'), offset: 0, limit: 10 })).total, 1);
    assert.ok(await a.store.archive.hasArrival('b-7'));
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});

test('postgres compliance log: two nodes appending at once chain every record to the one before', async () => {
  const a = await fx.open(undefined, 'node-a');
  const b = await fx.open(a.url, 'node-b');
  try {
    const append = (s: typeof a.store, i: number) =>
      s.compliance.append((last) => ({
        seq: (last?.seq ?? 0) + 1,
        at: Date.now(),
        category: i % 2 ? 'admin' : 'archive',
        action: `act-${i}`,
        actor: 'test',
        subject: null,
        detail: JSON.stringify({ i }),
        prevHash: last?.hash ?? 'genesis',
        hash: `c-${(last?.seq ?? 0) + 1}-${i}`,
      }));
    await Promise.all(Array.from({ length: 80 }, (_, i) => append(i % 2 ? a.store : b.store, i)));
    const scan = await a.store.compliance.scan(0, 1000);
    assert.equal(scan.length, 80);
    scan.forEach((l, i) => {
      assert.equal(l.record.seq, i + 1);
      assert.equal(l.record.prevHash, i ? scan[i - 1].record.hash : 'genesis');
    });
    assert.equal((await b.store.compliance.list({ category: 'admin', limit: 1000 })).length, 40);
    assert.deepEqual((await b.store.compliance.list({ beforeSeq: 3, limit: 5 })).map((r) => r.seq), [2, 1]);
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});

test('postgres archive: arrivals committed together; one that fails does not fail the others', async () => {
  const { store, cleanup } = await fx.open();
  try {
    const jobs = Array.from({ length: 12 }, (_, i) =>
      store.archive.archive({
        message: message({ ...CORPUS[i % CORPUS.length], body: `group ${i}` }),
        entry: (last, id) => {
          if (i === 5) throw new Error('a builder that fails');
          return entry(`g-${i}`)(last, id);
        },
      }),
    );
    const settled = await Promise.allSettled(jobs);
    assert.deepEqual(settled.map((r) => r.status === 'fulfilled'), Array.from({ length: 12 }, (_, i) => i !== 5));
    const links = await store.archive.scanEntries(0, 100);
    assert.deepEqual(links.map((l) => l.record.seq), Array.from({ length: 11 }, (_, i) => i + 1));
    assert.equal((await store.archive.scanMessages(0, 100)).length, 11, 'the failed arrival left no message');
    assert.equal(await store.archive.hasArrival('g-5'), false);
  } finally {
    await cleanup();
  }
});

test('postgres archive: a body past the tsvector limits is indexed as far as they allow, never refused', async () => {
  const { store, cleanup } = await fx.open();
  try {
    // ~1 MiB of text, mostly distinct words: more than one tsvector may hold.
    const words = Array.from({ length: 120_000 }, (_, i) => `w${i.toString(36)}x${(i * 7919) % 1000}`);
    const body = `opening phrase here ${words.join(' ')} closing words`;
    const r = await store.archive.archive({ message: message({ ...CORPUS[0], body }, { contentHash: 'long-body' }), entry: entry() });
    assert.equal(r.deduplicated, false);
    const find = async (q: string) => (await store.archive.search({ ...parseQuery(q), offset: 0, limit: 5 })).total;
    assert.equal(await find('"opening phrase here"'), 1);
    assert.equal(await find(words[100]), 1);
    assert.equal(await find('nowhere'), 0);
  } finally {
    await cleanup();
  }
});
