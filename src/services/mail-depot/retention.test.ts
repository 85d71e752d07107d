// Retention and legal holds over the real SQLite store: the expiry job deletes an expired mail
// and keeps one under a hold (by message, by a query that finds mail archived after the hold),
// records each deletion and hold change in the compliance log, and `verify` tells a deletion by
// the job from a message removed behind its back or a forged tombstone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newMailId } from '../../core/ids.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { archiveTamper } from '../../store/sqlite/tamper.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from '../compliance-log/index.ts';
import { loadOrCreateArchiveKey } from './archive-key.ts';
import { archiveMail, type ArchiveDeps } from './archive-writer.ts';
import { archiveDeletionHash } from './archive-chain.ts';
import { verifyArchive } from './archive-verify.ts';
import { ArchiveRetention } from './retention.ts';
import { ControlError } from '../system-manager/control.ts';
import type { ArchiveDeletion } from '../../store/store.ts';

const DAY = 86_400_000;

interface Ctx {
  dir: string;
  store: SqliteStore;
  deps: ArchiveDeps;
  retention: ArchiveRetention;
  compliance: ComplianceLog;
  keys: (id: string) => Buffer | undefined;
  clock: { now: number };
  recorded: () => Promise<Map<string, string>>;
}

async function withArchive(fn: (c: Ctx) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-retention-'));
  const store = openSqliteStore(dir);
  try {
    const key = await loadOrCreateArchiveKey(dir);
    const deps: ArchiveDeps = { store: store.archive, key, compression: 'gzip', limits: { maxParseBytes: 1 << 20, maxTextBytes: 1 << 16, deadlineMs: 5000 }, retentionDays: 30 };
    const compliance = new ComplianceLog(store.compliance, createLogger('test', []));
    const clock = { now: Date.now() };
    const retention = new ArchiveRetention({ store: store.archive, compliance, now: () => clock.now });
    const keys = (id: string) => (id === key.id ? key.key : undefined);
    const recorded = async () => {
      const m = new Map<string, string>();
      for (const r of await compliance.list({ category: 'deletion', limit: 1000 })) if (r.action === 'archive.delete') m.set(r.subject!, r.detail!.contentHash as string);
      return m;
    };
    await fn({ dir, store, deps, retention, compliance, keys, clock, recorded });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function archive(c: Ctx, subject: string, retentionDays?: number): Promise<string> {
  const body = Buffer.from(`From: a@example.org\r\nTo: b@example.test\r\nSubject: ${subject}\r\nDate: Tue, 14 Jan 2025 10:00:00 +0000\r\n\r\nbody of ${subject}\r\n`);
  const a = await archiveMail(
    {
      mailId: newMailId(),
      receivedAt: Date.now(),
      envelope: { sender: 'a@example.org', recipients: [{ address: 'b@example.test', status: 'pending' }], direction: 'inbound', source: 'smtp' },
      size: body.length,
      body,
      retentionDays,
    },
    c.deps,
  );
  return a.archiveId;
}

test('retention: the deciding retention sets retainUntil; a later arrival of the same content only extends it', async () => {
  await withArchive(async (c) => {
    const id = await archive(c, 'short', 1);
    const first = (await c.store.archive.get(id))!.retainUntil;
    assert.ok(Math.abs(first - (Date.now() + DAY)) < 60_000);
    await archive(c, 'short', 90);
    const extended = (await c.store.archive.get(id))!.retainUntil;
    assert.ok(extended > first + 80 * DAY);
    await archive(c, 'short', 1);
    assert.equal((await c.store.archive.get(id))!.retainUntil, extended, 'never shortened');
  });
});

test('expiry deletes an expired mail, keeps unexpired ones and those under a hold by message or by query', async () => {
  await withArchive(async (c) => {
    const expired = await archive(c, 'old news', 1);
    const heldById = await archive(c, 'contract draft', 1);
    const young = await archive(c, 'fresh', 365);
    const hById = await c.retention.addHold({ archiveId: heldById, reason: 'case 17' }, 'alice');
    const hByQuery = await c.retention.addHold({ query: 'subject:lawsuit', reason: 'case 18' }, 'alice');
    // Archived after the query hold was placed: the hold covers it too.
    const heldByQuery = await archive(c, 'lawsuit papers', 1);

    c.clock.now = Date.now() + 2 * DAY;
    const r = await c.retention.expire('admin');
    assert.deepEqual(r, { expired: 3, deleted: 1, held: 2 });
    assert.equal(await c.store.archive.get(expired), null);
    for (const id of [heldById, young, heldByQuery]) assert.ok(await c.store.archive.get(id), id);
    assert.equal((await c.store.archive.search({ terms: [{ field: 'subject', text: 'old news' }], offset: 0, limit: 10 })).total, 0, 'the index row is gone');
    assert.equal((await c.store.archive.entriesOf(expired)).length, 1, 'the chain entry stays');

    const deletions = await c.compliance.list({ category: 'deletion' });
    assert.deepEqual(deletions.map((x) => [x.action, x.subject]), [['archive.expire', null], ['archive.delete', expired]]);
    const holds = await c.compliance.list({ category: 'legal-hold' });
    assert.deepEqual(holds.map((x) => [x.action, x.subject, x.actor]), [['hold.add', hByQuery.id, 'alice'], ['hold.add', hById.id, 'alice']]);

    const v = await verifyArchive(c.store.archive, c.keys, c.recorded);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.deleted, 1);
    assert.equal(v.messages, 3);

    // Holds lifted: the next run deletes them.
    await c.retention.removeHold(hById.id, 'bob');
    await c.retention.removeHold(hByQuery.id, 'bob');
    assert.deepEqual(await c.retention.holds(), []);
    assert.deepEqual((await c.retention.holds(true)).map((h) => h.removedBy), ['bob', 'bob']);
    assert.deepEqual(await c.retention.expire('mail-depot'), { expired: 2, deleted: 2, held: 0 });
    assert.equal((await verifyArchive(c.store.archive, c.keys, c.recorded)).ok, true);
    await assert.rejects(c.retention.removeHold(hById.id, 'bob'), (e: ControlError) => e.code === 'HOLD_NOT_FOUND');
  });
});

test('a hold placed by another node while a run is under way stops the deletion it covers', async () => {
  await withArchive(async (c) => {
    const first = await archive(c, 'routine', 1);
    const second = await archive(c, 'subpoena material', 1);
    // Another node: its own ArchiveRetention (its own in-process lock) on the same store. It places a
    // hold by query right after this node's run has read the holds and the first expired message.
    const other = new ArchiveRetention({ store: c.store.archive, compliance: c.compliance, now: () => c.clock.now });
    let placed = false;
    const store = new Proxy(c.store.archive, {
      get(target, prop, receiver) {
        if (prop === 'remove') {
          return async (...args: Parameters<typeof target.remove>) => {
            if (!placed) {
              placed = true;
              await other.addHold({ query: 'subject:subpoena', reason: 'case 19' }, 'carol');
            }
            return target.remove(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const thisNode = new ArchiveRetention({ store, compliance: c.compliance, now: () => c.clock.now });
    c.clock.now = Date.now() + 2 * DAY;
    const r = await thisNode.expire('mail-depot');
    assert.equal(r.deleted, 0, 'the deletion racing the hold was refused');
    assert.equal(r.stoppedByNewHold, true);
    assert.ok(await c.store.archive.get(second), 'the mail the new hold covers is kept');
    assert.ok(await c.store.archive.get(first), 'kept until the next run');
    // The next run applies the new hold: the uncovered mail goes, the covered one stays.
    assert.deepEqual(await thisNode.expire('mail-depot'), { expired: 2, deleted: 1, held: 1 });
    assert.equal(await c.store.archive.get(first), null);
    assert.ok(await c.store.archive.get(second));
    const v = await verifyArchive(c.store.archive, c.keys, c.recorded);
    assert.equal(v.ok, true, JSON.stringify(v));
  });
});

test('nothing is deleted before its retention ends, even when asked directly', async () => {
  await withArchive(async (c) => {
    const id = await archive(c, 'kept', 10);
    assert.deepEqual(await c.retention.expire('admin'), { expired: 0, deleted: 0, held: 0 });
    const never = await c.store.archive.remove(id, Date.now(), () => {
      throw new Error('must not build a deletion');
    });
    assert.equal(never, null);
    assert.ok(await c.store.archive.get(id));
  });
});

test('holds are checked: a message id that does not exist, an invalid or empty query, no reason', async () => {
  await withArchive(async (c) => {
    const invalid = (e: ControlError) => e.code === 'HOLD_INVALID';
    await assert.rejects(c.retention.addHold({ archiveId: 'NOPE', reason: 'x' }, 'a'), invalid);
    await assert.rejects(c.retention.addHold({ query: 'before:2025-13-99', reason: 'x' }, 'a'), invalid);
    await assert.rejects(c.retention.addHold({ query: '  ', reason: 'x' }, 'a'), invalid);
    await assert.rejects(c.retention.addHold({ query: 'from:a', reason: ' ' }, 'a'), invalid);
    await assert.rejects(c.retention.addHold({ reason: 'x' }, 'a'), invalid);
  });
});

test('verify tells a deletion by the job from a message removed behind its back and from a forged tombstone', async () => {
  await withArchive(async (c) => {
    const gone = await archive(c, 'expired one', 1);
    const removed = await archive(c, 'removed by hand', 1000);
    const forged = await archive(c, 'forged deletion', 1000);
    c.clock.now = Date.now() + 2 * DAY;
    assert.equal((await c.retention.expire('admin')).deleted, 1);

    const t = archiveTamper(c.dir);
    t.removeMessage(removed);
    t.forgeDeletion(forged, (d) => archiveDeletionHash(d as unknown as Omit<ArchiveDeletion, 'hash'>));
    t.removeMessage(forged);

    const v = await verifyArchive(c.store.archive, c.keys, c.recorded);
    assert.equal(v.ok, false);
    assert.equal(v.deletions.ok, true, 'the forged tombstone is a well-formed link');
    assert.deepEqual(
      v.problems.map((p) => [p.kind, p.archiveId]),
      [
        ['deletion-unrecorded', forged],
        ['entry-without-message', removed],
      ],
    );
    assert.ok(!v.problems.some((p) => p.archiveId === gone), 'the deletion by the job is no problem');
  });
});
