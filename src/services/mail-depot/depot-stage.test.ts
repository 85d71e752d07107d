// The depot stage on the real store: a mail is archived and advanced unchanged, a policy can
// skip it, journal recipients are done without delivery, and a failure to archive defers the
// mail instead of letting it pass unarchived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import type { StageContext } from '../../flow/stage.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import type { ClaimedMail } from '../../store/store.ts';
import { createLogger } from '../log-manager/logger.ts';
import { archivePolicySchema } from './config.ts';
import { loadOrCreateArchiveKey } from './archive-key.ts';
import type { ArchiveDeps } from './archive-writer.ts';
import { depotStage } from './depot-stage.ts';
import { ArchivePolicies } from './policies.ts';

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-depot-'));
  const store = openSqliteStore(dir);
  const key = await loadOrCreateArchiveKey(dir);
  const deps: ArchiveDeps = { store: store.archive, key, compression: 'gzip', limits: { maxParseBytes: 1 << 20, maxTextBytes: 1 << 16, deadlineMs: 5000 }, retentionDays: 3650 };
  return { dir, store, deps, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function claimed(store: SqliteStore, to: string[], subject = 'hello'): Promise<{ mail: ClaimedMail; ctx: StageContext }> {
  const id = newMailId();
  const body = Buffer.from(`From: a@outside.test\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\n\r\nbody\r\n`);
  const w = await store.bodies.create(id);
  await w.write(body);
  await w.commit();
  const envelope: Envelope = { sender: 'a@outside.test', recipients: to.map((address) => ({ address, status: 'pending' as const })), direction: 'inbound', source: 'smtp' };
  const mail: ClaimedMail = { id, queue: 'depot', envelope, bodyKey: id, size: body.length, receivedAt: Date.now(), queuedAt: 0, notBefore: 0, attempts: 0, delayNotified: false, leaseOwner: 't', leaseUntil: 0 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log: createLogger('test', []), signal: new AbortController().signal };
  return { mail, ctx };
}

test('a mail is archived and advanced unchanged; a policy can leave it out', async () => {
  const s = await setup();
  try {
    const stage = depotStage({
      policies: new ArchivePolicies([archivePolicySchema.parse({ name: 'no-bulk', subject: '^\\[bulk\\]', archive: false })]),
      archive: () => s.deps,
    });
    const a = await claimed(s.store, ['bob@example.test']);
    const r = await stage.process(a.mail, a.ctx);
    assert.equal(r.outcome.kind, 'advance');
    assert.equal(r.envelope, undefined, 'the mail goes on unchanged');
    assert.match((r.outcome as { note: string }).note, /^archived as [0-9a-z]{20}$/);
    const b = await claimed(s.store, ['bob@example.test'], '[bulk] offers');
    assert.deepEqual((await stage.process(b.mail, b.ctx)).outcome, { kind: 'advance', note: 'not archived (no-bulk)' });
    assert.equal((await s.store.archive.search({ terms: [], offset: 0, limit: 10 })).total, 1);
  } finally {
    await s.cleanup();
  }
});

test('journal mail is archived and finished; a journal copy beside a real recipient is not delivered', async () => {
  const s = await setup();
  try {
    const stage = depotStage({ policies: new ArchivePolicies([]), journalAddress: 'journal@gate.test', archive: () => s.deps });
    const only = await claimed(s.store, ['Journal@gate.test']);
    const r1 = await stage.process(only.mail, only.ctx);
    assert.equal(r1.outcome.kind, 'finish');
    assert.match((r1.outcome as { reason: string }).reason, /^archived \(journal\) as /);
    assert.deepEqual(r1.envelope?.recipients.map((r) => r.status), ['delivered']);
    const both = await claimed(s.store, ['journal@gate.test', 'bob@example.test']);
    const r2 = await stage.process(both.mail, both.ctx);
    assert.equal(r2.outcome.kind, 'advance');
    assert.deepEqual(r2.envelope?.recipients.map((r) => [r.address, r.status]), [
      ['journal@gate.test', 'delivered'],
      ['bob@example.test', 'pending'],
    ]);
    const [e1] = await s.store.archive.scanEntries(0, 1);
    assert.equal(e1.record.source, 'journal');
  } finally {
    await s.cleanup();
  }
});

test('when the archive cannot be written the mail is deferred, never passed on unarchived', async () => {
  const s = await setup();
  try {
    const stage = depotStage({
      policies: new ArchivePolicies([]),
      archive: () => ({ ...s.deps, store: Object.assign(Object.create(s.deps.store) as ArchiveDeps['store'], { archive: async () => Promise.reject(new Error('disk full')) }) }),
    });
    const a = await claimed(s.store, ['bob@example.test']);
    const r = await stage.process(a.mail, a.ctx);
    assert.equal(r.outcome.kind, 'defer');
    assert.match((r.outcome as { reason: string }).reason, /archive failed: disk full/);
  } finally {
    await s.cleanup();
  }
});
