// The SQLite backend against the storage conformance suite, plus its crash-recovery duties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance } from '../conformance.ts';
import { openSqliteStore } from './open.ts';

storeConformance({
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
    const store = openSqliteStore(dir);
    return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  },
});

test('sqlite: a reopened store keeps committed mail and frees leases of the dead process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
  try {
    const s1 = openSqliteStore(dir);
    const w = await s1.bodies.create('0000000000aaaaaaaaaa');
    await w.write(Buffer.from('x'));
    await w.commit();
    await s1.queue.insert([
      {
        id: '0000000000aaaaaaaaaa',
        queue: 'seal-in',
        envelope: { sender: '', recipients: [{ address: 'a@b.test', status: 'pending' }], direction: 'inbound', source: 'smtp' },
        bodyKey: '0000000000aaaaaaaaaa',
        size: 1,
        receivedAt: Date.now(),
        event: { event: 'received', actor: 't' },
      },
    ]);
    await s1.queue.claim('seal-in', 'dead', 1, 3_600_000);
    await s1.close();
    const s2 = openSqliteStore(dir);
    assert.equal(s2.queue.releaseAllLeases(), 1);
    assert.equal((await s2.queue.claim('seal-in', 'new', 1, 1000)).length, 1);
    await s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: a body over the inline limit streams to a file, a small one stays in the database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
  const s = openSqliteStore(dir, { inlineLimit: 64 });
  try {
    const big = await s.bodies.create('0000000000bbbbbbbbbb');
    for (let i = 0; i < 10; i++) await big.write(Buffer.alloc(50, 65 + i));
    await big.commit();
    const small = await s.bodies.create('0000000000cccccccccc');
    await small.write(Buffer.from('tiny'));
    await small.commit();
    assert.deepEqual(await s.bodies.files.keys(), ['0000000000bbbbbbbbbb']);
    assert.equal((await s.bodies.read('0000000000bbbbbbbbbb')).length, 500);
    const streamed: Buffer[] = [];
    for await (const c of s.bodies.open('0000000000cccccccccc')) streamed.push(c as Buffer);
    assert.equal(Buffer.concat(streamed).toString(), 'tiny');
    assert.deepEqual((await s.bodies.keys()).sort(), ['0000000000bbbbbbbbbb', '0000000000cccccccccc']);
    await s.bodies.remove('0000000000bbbbbbbbbb');
    await s.bodies.remove('0000000000cccccccccc');
    assert.deepEqual(await s.bodies.keys(), []);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
