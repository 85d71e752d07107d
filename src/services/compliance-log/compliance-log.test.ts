// The compliance log over the real SQLite store: records chain, and verify() names exactly the
// record that was changed, removed or moved behind the store's back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { complianceTamper } from '../../store/sqlite/tamper.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from './index.ts';

async function withLog(n: number, fn: (c: ComplianceLog, dir: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-compliance-'));
  const store = openSqliteStore(dir);
  const c = new ComplianceLog(store.compliance, createLogger('test', []));
  try {
    for (let i = 1; i <= n; i++) await c.record({ category: 'admin', action: 'test.event', actor: `admin-${i}`, subject: `s${i}`, detail: { i, z: 'last', a: 'first' } });
    await fn(c, dir);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('records are numbered and chained; an untouched log verifies', async () => {
  await withLog(5, async (c) => {
    const list = await c.list({ limit: 10 });
    assert.deepEqual(list.map((r) => r.seq), [5, 4, 3, 2, 1], 'newest first');
    assert.equal(list[4].prevHash, '0'.repeat(64));
    for (let i = 0; i < 4; i++) assert.equal(list[i].prevHash, list[i + 1].hash);
    assert.deepEqual(list[0].detail, { a: 'first', i: 5, z: 'last' });
    const r = await c.verify();
    assert.equal(r.ok, true);
    assert.equal(r.count, 5);
    assert.deepEqual(r.head, { seq: 5, hash: list[0].hash });
    assert.deepEqual(r.problems, []);
  });
});

test('concurrent appends never chain to the same predecessor', async () => {
  await withLog(0, async (c) => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.record({ category: 'service', action: 'service.running', actor: 'supervisor', subject: `s${i}` })));
    const r = await c.verify();
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.count, 50);
  });
});

test('a changed record is named', async () => {
  await withLog(5, async (c, dir) => {
    complianceTamper(dir).changeActor(3, 'someone-else');
    const r = await c.verify();
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems.map((p) => [p.seq, p.kind]), [[3, 'changed']]);
    assert.match(r.problems[0].detail, /record 3 was changed/);
  });
});

test('a removed record is named as missing', async () => {
  await withLog(5, async (c, dir) => {
    complianceTamper(dir).remove(2);
    const r = await c.verify();
    assert.deepEqual(r.problems.map((p) => [p.seq, p.kind]), [[2, 'missing']]);
    assert.match(r.problems[0].detail, /record 2 is missing/);
  });
});

test('two swapped records are named as out of order', async () => {
  await withLog(5, async (c, dir) => {
    complianceTamper(dir).swap(3, 4);
    const r = await c.verify();
    assert.deepEqual(r.problems.map((p) => [p.seq, p.kind]), [[3, 'out-of-order']]);
    assert.match(r.problems[0].detail, /record 3 is out of order: stored after record 4/);
  });
});

test('a record moved to the end is named as out of order', async () => {
  await withLog(5, async (c, dir) => {
    complianceTamper(dir).moveToEnd(2);
    const r = await c.verify();
    assert.deepEqual(r.problems.map((p) => [p.seq, p.kind]), [[2, 'out-of-order']]);
  });
});
