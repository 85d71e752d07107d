// The archive over the real SQLite store: archiving (in memory and streaming), deduplication,
// search by every field, reading back with integrity checks, and verify() naming exactly what
// was tampered with (a byte of a stored mail, an index row, a chain entry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { archiveTamper } from '../../store/sqlite/tamper.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from '../compliance-log/index.ts';
import { loadOrCreateArchiveKey, type ArchiveKey } from './archive-key.ts';
import { archiveMail, type ArchiveDeps } from './archive-writer.ts';
import { createArchiveAccess, type ArchiveControl } from './archive-access.ts';
import { ArchiveImports } from './import-job.ts';
import { ArchiveRetention } from './retention.ts';
import { AuditGrants } from './audit-grants.ts';
import { verifyArchive } from './archive-verify.ts';
import { receivedHeader } from '../smtp-receiver/received-header.ts';
import { ControlError } from '../system-manager/control.ts';

interface Ctx {
  dir: string;
  store: SqliteStore;
  key: ArchiveKey;
  deps: ArchiveDeps;
  access: ArchiveControl;
  compliance: ComplianceLog;
  keys: (id: string) => Buffer | undefined;
}

async function withArchive(fn: (c: Ctx) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-archive-'));
  const store = openSqliteStore(dir);
  try {
    const key = await loadOrCreateArchiveKey(dir);
    const limits = { maxParseBytes: 16 * 1024 * 1024, maxTextBytes: 1024 * 1024, deadlineMs: 10_000 };
    const deps: ArchiveDeps = { store: store.archive, key, compression: 'brotli', limits, retentionDays: 3650 };
    const compliance = new ComplianceLog(store.compliance, createLogger('test', []));
    const keys = (id: string) => (id === key.id ? key.key : undefined);
    const imports = new ArchiveImports({ settings: store.settings, archive: () => deps, compliance, log: createLogger('test', []) });
    const retention = new ArchiveRetention({ store: store.archive, compliance });
    const access = createArchiveAccess({ store: store.archive, compliance, keys: () => keys, limits, enabled: true, imports, retention, grants: new AuditGrants(store.settings, compliance) });
    await fn({ dir, store, key, deps, access, compliance, keys });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const envelope = (sender: string, to: string[]): Envelope => ({
  sender,
  recipients: to.map((address) => ({ address, status: 'pending' as const })),
  direction: 'inbound',
  source: 'smtp',
  clientIp: '192.0.2.7',
});

function mail(o: { from: string; to: string; subject: string; body: string; date?: string; extra?: string }): string {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${o.date ?? 'Tue, 14 Jan 2025 10:00:00 +0000'}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
    ...(o.extra ? [o.extra] : []),
    '',
    o.body,
    '',
  ].join('\r\n');
}

/** As the receiver stores it: our Received: header (naming the mail id) first. */
function arrival(raw: string, sender: string, to: string[], stream = false) {
  const mailId = newMailId();
  const head = receivedHeader({ helo: 'client.test', clientIp: '192.0.2.7', hostname: 'gate.example.test', protocol: 'ESMTP', id: mailId });
  const body = Buffer.from(head + raw);
  return {
    mailId,
    receivedAt: Date.now(),
    envelope: envelope(sender, to),
    size: body.length,
    body: stream ? Readable.from(chunks(body, 1000)) : body,
  };
}

function* chunks(b: Buffer, n: number) {
  for (let i = 0; i < b.length; i += n) yield b.subarray(i, i + n);
}

const withAttachment = (name: string, text: string) =>
  [
    'From: Carol <carol@example.org>',
    'To: dave@example.test',
    'Subject: the report you asked for',
    'Date: Wed, 05 Mar 2025 09:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<html><body><p>Please find the <b>numbers</b> attached.</p></body></html>',
    '--b1',
    `Content-Type: text/plain; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    '',
    text,
    '--b1--',
    '',
  ].join('\r\n');

test('a mail that arrives twice is archived once and both arrivals are linked in the chain', async () => {
  await withArchive(async ({ deps, store, access }) => {
    const raw = mail({ from: 'Alice <alice@example.org>', to: 'bob@example.test', subject: 'twice', body: 'same content' });
    const a = await archiveMail(arrival(raw, 'alice@example.org', ['bob@example.test']), deps);
    const b = await archiveMail(arrival(raw, 'alice@example.org', ['bob@example.test']), deps);
    assert.equal(a.deduplicated, false);
    assert.equal(b.deduplicated, true);
    assert.equal(b.archiveId, a.archiveId);
    const entries = await store.archive.entriesOf(a.archiveId);
    assert.deepEqual(entries.map((e) => e.seq), [1, 2]);
    assert.equal(entries[1].prevHash, entries[0].hash);
    assert.notEqual(entries[0].mailId, entries[1].mailId);
    assert.match(entries[0].trace ?? '', /^Received: from client\.test/);
    const r = await access.search('subject:twice', 1, 'test');
    assert.equal(r.total, 1);
    const rawBack = await access.raw(a.archiveId, 'test');
    assert.equal(Buffer.isBuffer(rawBack.body) ? rawBack.body.toString() : '', raw, 'archived as the client sent it, without our Received header');
  });
});

test('search finds mail by from:, to:, subject:, phrase, free text, has:attachment and dates; newest first', async () => {
  await withArchive(async ({ deps, access, compliance }) => {
    await archiveMail(arrival(mail({ from: 'Alice <alice@example.org>', to: 'bob@example.test', subject: 'Quarterly figures', body: 'the budget for spring', date: 'Tue, 14 Jan 2025 10:00:00 +0000' }), 'alice@example.org', ['bob@example.test']), deps);
    await archiveMail(arrival(mail({ from: 'Erin <erin@example.net>', to: 'bob@example.test', subject: 'Lunch', body: 'spring rolls at noon', date: 'Mon, 03 Feb 2025 12:00:00 +0000' }), 'erin@example.net', ['bob@example.test']), deps);
    await archiveMail(arrival(withAttachment('numbers.csv', 'region,revenue\nnorth,4711'), 'carol@example.org', ['dave@example.test'], true), deps);
    const ids = async (q: string) => (await access.search(q, 1, 'auditor')).messages.map((m) => m.subject);
    assert.deepEqual(await ids('from:alice'), ['Quarterly figures']);
    assert.deepEqual(await ids('from:alice@example.org'), ['Quarterly figures']);
    assert.deepEqual(await ids('to:bob@example.test'), ['Lunch', 'Quarterly figures'], 'newest first');
    assert.deepEqual(await ids('to:dave'), ['the report you asked for']);
    assert.deepEqual(await ids('subject:quarterly'), ['Quarterly figures']);
    assert.deepEqual(await ids('spring'), ['Lunch', 'Quarterly figures']);
    assert.deepEqual(await ids('"spring rolls"'), ['Lunch']);
    assert.deepEqual(await ids('spring -rolls'), ['Quarterly figures']);
    assert.deepEqual(await ids('has:attachment'), ['the report you asked for']);
    assert.deepEqual(await ids('4711'), ['the report you asked for'], 'text attachments are indexed');
    assert.deepEqual(await ids('numbers'), ['the report you asked for'], 'HTML body as text and attachment names');
    assert.deepEqual(await ids('attachment:numbers.csv'), ['the report you asked for']);
    assert.deepEqual(await ids('after:2025-02-01 before:2025-03-01'), ['Lunch']);
    assert.deepEqual(await ids('before:2025-01-15'), ['Quarterly figures']);
    assert.deepEqual(await ids(''), ['the report you asked for', 'Lunch', 'Quarterly figures']);
    assert.deepEqual(await ids('nothing-like-this'), []);
    await assert.rejects(access.search('before:2025-13-01', 1, 'auditor'), (e: ControlError) => e.code === 'ARCHIVE_QUERY_INVALID' && /before:/.test(e.message));
    const [last] = await compliance.list({ category: 'archive', limit: 1 });
    assert.equal(last.action, 'archive.search');
    assert.equal(last.actor, 'auditor');
    assert.equal(last.subject, 'nothing-like-this');
    assert.deepEqual(last.detail, { page: 1, shown: 0, total: 0 });
  });
});

test('a view shows headers, text, attachments and arrivals, and is recorded', async () => {
  await withArchive(async ({ deps, access, compliance }) => {
    const a = await archiveMail(arrival(withAttachment('notes.txt', 'hello notes'), 'carol@example.org', ['dave@example.test']), deps);
    const v = await access.get(a.archiveId, 'admin-api');
    assert.equal(v.subject, 'the report you asked for');
    assert.match(v.text, /Please find the numbers attached\./);
    assert.deepEqual(v.attachmentParts.map((x) => x.name), ['notes.txt']);
    assert.ok(v.headers.some(([k, val]) => k === 'Subject' && val === 'the report you asked for'));
    assert.equal(v.deliveries.length, 1);
    const [rec] = await compliance.list({ limit: 1 });
    assert.deepEqual([rec.action, rec.subject], ['archive.view', a.archiveId]);
  });
});

test('a large mail streams to a file blob and reads back whole', async () => {
  await withArchive(async ({ deps, access }) => {
    // Random bytes in base64 do not compress below the inline limit.
    const { randomBytes } = await import('node:crypto');
    const big = randomBytes(600 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = mail({ from: 'big@example.org', to: 'bob@example.test', subject: 'big one', body: big });
    const a = await archiveMail(arrival(raw, 'big@example.org', ['bob@example.test'], true), deps);
    assert.ok(a.storedSize > 256 * 1024);
    const r = await access.raw(a.archiveId, 'test');
    assert.equal((r.body as Buffer).toString(), raw);
  });
});

test('copies that differ only in their headers share one stored body; each reads back whole; a changed byte of it is named for each', async () => {
  await withArchive(async ({ dir, deps, store, keys, access }) => {
    const text = Array.from({ length: 40 }, (_, i) => `Line ${i} of the newsletter everyone on the list gets.`).join('\r\n');
    const raws = ['ann', 'ben', 'cat'].map((to) => mail({ from: 'news@example.org', to: `${to}@example.test`, subject: 'Newsletter', body: text }));
    const got: Awaited<ReturnType<typeof archiveMail>>[] = [];
    for (const raw of raws) got.push(await archiveMail(arrival(raw, 'news@example.org', [raw.match(/^To: (.*)$/m)![1]]), deps));
    assert.deepEqual(got.map((g) => g.deduplicated), [false, false, false], 'three distinct mails');
    const bodies = await Promise.all(got.map((g) => store.archive.openBody(g.archiveId)));
    assert.ok(bodies.every((b) => b && b.hash === bodies[0]!.hash), 'one body part, shared');
    assert.ok(got[1].storedSize < got[0].storedSize, 'the second copy stores only its header block');
    for (const [i, g] of got.entries()) {
      const back = await access.raw(g.archiveId, 'test');
      assert.equal(Buffer.isBuffer(back.body) ? back.body.toString() : '', raws[i]);
    }
    assert.equal((await access.search('"everyone on the list"', 1, 'test')).total, 3);
    // Two copies of a body nobody has stored yet, at once: one stores it, the other is archived again against it.
    const fresh = `${text}\r\nAnd one more line for the second issue.`;
    const pair = ['dan', 'eve'].map((to) => mail({ from: 'news@example.org', to: `${to}@example.test`, subject: 'Issue 2', body: fresh }));
    const both = await Promise.all(pair.map((raw, i) => archiveMail(arrival(raw, 'news@example.org', [`${['dan', 'eve'][i]}@example.test`]), deps)));
    const [b1, b2] = await Promise.all(both.map((g) => store.archive.openBody(g.archiveId)));
    assert.equal(b1!.hash, b2!.hash);
    for (const [i, g] of both.entries()) {
      const back = await access.raw(g.archiveId, 'test');
      assert.equal(Buffer.isBuffer(back.body) ? back.body.toString() : '', pair[i]);
    }
    const clean = await verifyArchive(store.archive, keys);
    assert.equal(clean.ok, true, JSON.stringify(clean));

    archiveTamper(dir).flipBodyByte(got[0].archiveId, 40);
    const r = await verifyArchive(store.archive, keys);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.archiveId]), got.map((g) => ['corrupt', g.archiveId]));
    assert.match(r.problems[0].detail, /authentication tag/);
    // The shared body's index row deleted: every message with that body is named as not indexed.
    assert.equal(archiveTamper(dir).removeBodyIndexRow(both[0].archiveId), 1);
    const r2 = await verifyArchive(store.archive, keys);
    assert.deepEqual(r2.problems.filter((p) => p.kind === 'not-indexed').map((p) => p.archiveId).sort(), both.map((g) => g.archiveId).sort());
  });
});

test('verify: an untouched archive is ok; one changed byte, a deleted index row and a deleted entry are each named', async () => {
  await withArchive(async ({ dir, deps, store, keys, access }) => {
    const ids: string[] = [];
    for (const s of ['one', 'two', 'three', 'four']) {
      ids.push((await archiveMail(arrival(mail({ from: 'a@example.org', to: 'b@example.test', subject: s, body: `body ${s}` }), 'a@example.org', ['b@example.test']), deps)).archiveId);
    }
    const clean = await verifyArchive(store.archive, keys);
    assert.equal(clean.ok, true, JSON.stringify(clean));
    assert.equal(clean.messages, 4);
    assert.equal(clean.chain.count, 4);

    const t = archiveTamper(dir);
    t.flipByte(ids[1], 40);
    t.removeIndexRow(ids[3]);
    t.removeEntry(3);
    const r = await verifyArchive(store.archive, keys);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.archiveId]),
      [
        ['corrupt', ids[1]],
        ['unchained', ids[2]],
        ['not-indexed', ids[3]],
      ],
    );
    assert.match(r.problems[0].detail, /authentication tag/);
    assert.deepEqual(r.chain.problems.map((p) => [p.seq, p.kind]), [[3, 'missing']]);
    assert.match(r.chain.problems[0].detail, /entry 3 is missing/);
    await assert.rejects(access.get(ids[1], 'test'), (e: ControlError) => e.code === 'ARCHIVE_INTEGRITY_FAILED' && e.message.includes(ids[1]));
    await assert.rejects(access.raw(ids[1], 'test'), (e: ControlError) => e.code === 'ARCHIVE_INTEGRITY_FAILED');
  });
});

test('verify names a changed entry, two swapped entries, and a changed byte of a file blob', async () => {
  await withArchive(async ({ dir, deps, store, keys }) => {
    const { randomBytes } = await import('node:crypto');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const body = i === 5 ? randomBytes(400 * 1024).toString('base64') : `body ${i}`;
      ids.push((await archiveMail(arrival(mail({ from: 'a@example.org', to: 'b@example.test', subject: `m${i}`, body }), 'a@example.org', ['b@example.test'], i === 5), deps)).archiveId);
    }
    const t = archiveTamper(dir);
    t.changeEntrySender(2, 'mallory@example.org');
    t.swapEntries(3, 4);
    t.flipByte(ids[4], 300 * 1024);
    const r = await verifyArchive(store.archive, keys);
    assert.deepEqual(r.chain.problems.map((p) => [p.seq, p.kind]), [
      [2, 'changed'],
      [3, 'out-of-order'],
    ]);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.archiveId]), [['corrupt', ids[4]]]);
  });
});
