// Quarantine retention: mail past its quarantine's retention is deleted with a tracking event and
// its body removed; younger mail, other quarantines and retention 0 are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newMailId } from '../../core/ids.ts';
import type { QueueName } from '../../core/mail.ts';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import type { Store } from '../../store/store.ts';
import { purgeExpired } from './retention.ts';

async function hold(store: Store, queue: QueueName): Promise<string> {
  const id = newMailId();
  const w = await store.bodies.create(id);
  await w.write(Buffer.from('Subject: held\r\n\r\nx\r\n'));
  await w.commit();
  await store.queue.insert([
    {
      id,
      queue,
      envelope: { sender: 's@x.test', recipients: [{ address: 'a@example.test', status: 'pending' }], direction: 'inbound', source: 'smtp' },
      bodyKey: id,
      size: 20,
      receivedAt: Date.now(),
      event: { event: 'held', actor: 'test' },
    },
  ]);
  return id;
}

test('mail past its quarantine retention is deleted, with its body; other mail stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-retention-'));
  const store = openSqliteStore(dir);
  try {
    const spam = await hold(store, 'quarantine:spam');
    const virus = await hold(store, 'quarantine:virus');
    const ciss = await hold(store, 'quarantine:ciss');
    const now = Date.now();
    assert.equal(await purgeExpired(store, { 'quarantine:spam': 60_000, 'quarantine:virus': 0, 'quarantine:ciss': 60_000 }, now), 0, 'nothing is old yet');
    assert.equal(await purgeExpired(store, { 'quarantine:spam': 60_000, 'quarantine:virus': 0, 'quarantine:ciss': 3_600_000 }, now + 120_000), 1);
    assert.equal((await store.queue.get(spam))?.queue, 'deleted');
    const ev = (await store.queue.events(spam)).at(-1)!;
    assert.deepEqual([ev.event, ev.actor, ev.detail], ['deleted', 'spamfinder', { from: 'quarantine:spam', reason: 'retention' }]);
    await assert.rejects(store.bodies.read(spam));
    assert.equal((await store.queue.get(virus))?.queue, 'quarantine:virus', 'retention 0 keeps mail');
    assert.equal((await store.queue.get(ciss))?.queue, 'quarantine:ciss');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
