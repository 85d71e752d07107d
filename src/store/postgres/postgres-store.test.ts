// The PostgreSQL store against the storage conformance suite (one throwaway server for this
// file, a fresh database per test), plus what only a shared store must promise: two nodes on
// one database never lease one mail, wake each other (LISTEN/NOTIFY, also after a server
// restart), bodies stream in chunks, recovery's grace period, and a lost server is a StorageError.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeConformance } from '../conformance.ts';
import { StorageError, type NewMail } from '../store.ts';
import { newMailId } from '../../core/ids.ts';
import type { QueueName } from '../../core/mail.ts';
import { startPostgres, type Postgres } from '../../../test/helpers/postgres.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { openPostgresStore, type PostgresStore } from './open.ts';

let server: Postgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.close();
});

storeConformance({
  name: 'postgres',
  async open() {
    const store = await openPostgresStore({ url: await server.createDatabase(), poolSize: 4 });
    return { store, cleanup: () => store.close() };
  },
});

/** Two nodes on one fresh database. */
async function cluster(): Promise<{ a: PostgresStore; b: PostgresStore; url: string; close(): Promise<void> }> {
  const url = await server.createDatabase();
  const [a, b] = await Promise.all([openPostgresStore({ url, nodeId: 'node-a', poolSize: 4 }), openPostgresStore({ url, nodeId: 'node-b', poolSize: 4 })]);
  return { a, b, url, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

async function mail(s: PostgresStore, queue: QueueName = 'seal-in'): Promise<NewMail> {
  const id = newMailId();
  const w = await s.bodies.create(id);
  await w.write(Buffer.from(`Subject: ${id}\r\n\r\nhi\r\n`));
  await w.commit();
  return {
    id,
    queue,
    envelope: { sender: 's@a.test', recipients: [{ address: 'r@b.test', status: 'pending' }], direction: 'inbound', source: 'smtp' },
    bodyKey: id,
    size: 20,
    receivedAt: Date.now(),
    event: { event: 'received', actor: 'test' },
  } as NewMail;
}

test('postgres: two nodes claiming at once never lease the same mail, and each completes only its own', async () => {
  const c = await cluster();
  try {
    const ms: NewMail[] = [];
    for (let i = 0; i < 60; i++) ms.push(await mail(c.a));
    await c.a.queue.insert(ms);
    const got = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? c.a : c.b).queue.claim('seal-in', `w${i}`, 7, 60_000).then((r) => r.map((m) => ({ m, owner: `w${i}`, s: i % 2 ? c.a : c.b })))),
    );
    const all = got.flat();
    assert.equal(new Set(all.map((x) => x.m.id)).size, all.length, 'no mail leased twice');
    assert.equal(all.length, 60);
    const [first] = all;
    const other = first.s === c.a ? c.b : c.a;
    assert.equal(await other.queue.complete({ id: first.m.id, leaseOwner: 'someone-else', queue: 'spamfinder', event: { event: 'advanced', actor: 't' } }), false);
    assert.equal(await other.queue.complete({ id: first.m.id, leaseOwner: first.owner, queue: 'spamfinder', event: { event: 'advanced', actor: 't' } }), true);
    assert.equal((await c.b.queue.get(first.m.id))?.queue, 'spamfinder');
  } finally {
    await c.close();
  }
});

test('postgres: a lease of a dead node expires and the other node takes the mail over', async () => {
  const c = await cluster();
  try {
    const m = await mail(c.a);
    await c.a.queue.insert([m]);
    assert.equal((await c.a.queue.claim('seal-in', 'node-a:w', 1, 50)).length, 1);
    assert.deepEqual(await c.b.queue.claim('seal-in', 'node-b:w', 1, 60_000), [], 'not while the lease runs');
    const due = await c.b.queue.nextDue('seal-in');
    assert.ok(due !== null && due > 0, 'the other node knows when to look again');
    await waitFor(async () => (await c.b.queue.claim('seal-in', 'node-b:w', 1, 60_000)).length === 1 || undefined, { timeoutMs: 5000, what: 'the expired lease' });
    assert.equal(await c.a.queue.complete({ id: m.id, leaseOwner: 'node-a:w', queue: 'spamfinder', event: { event: 'x', actor: 't' } }), false, 'the dead owner cannot complete');
  } finally {
    await c.close();
  }
});

test('postgres: a node hears the queues other nodes make mail ready in (insert, completion, release), not its own', async () => {
  const c = await cluster();
  try {
    const heardA: string[] = [];
    const heardB: string[] = [];
    c.a.queue.watch((q) => heardA.push(q));
    c.b.queue.watch((q) => heardB.push(q));
    await waitFor(() => (c.a.queue['watcher'].listening && c.b.queue['watcher'].listening) || undefined, { timeoutMs: 5000, what: 'LISTEN connections' });
    const m = await mail(c.a);
    await c.a.queue.insert([m]);
    await waitFor(() => heardB.includes('seal-in') || undefined, { timeoutMs: 5000, what: 'insert notification' });
    await c.b.queue.claim('seal-in', 'b1', 1, 60_000);
    await c.b.queue.complete({ id: m.id, leaseOwner: 'b1', queue: 'depot', event: { event: 'advanced', actor: 't' } });
    await waitFor(() => heardA.includes('depot') || undefined, { timeoutMs: 5000, what: 'completion notification' });
    const n = await mail(c.b);
    await c.b.queue.insert([n]);
    await c.a.queue.claim('seal-in', 'a1', 1, 60_000);
    await c.a.queue.release(n.id, 'a1');
    await waitFor(() => heardB.filter((q) => q === 'seal-in').length === 2 || undefined, { timeoutMs: 5000, what: 'release notification' });
    assert.deepEqual(heardA, ['depot', 'seal-in']);
    assert.deepEqual(heardB, ['seal-in', 'seal-in']);
  } finally {
    await c.close();
  }
});

test('postgres: a body larger than a chunk streams in and out in chunks and replaces nothing until commit', async () => {
  const url = await server.createDatabase();
  const s = await openPostgresStore({ url, poolSize: 2 });
  try {
    const part = Buffer.alloc(700 * 1024);
    const w = await s.bodies.create('0000000000dddddddddd');
    for (let i = 0; i < 5; i++) await w.write(Buffer.alloc(700 * 1024, 65 + i));
    assert.deepEqual(await s.bodies.keys(), [], 'not visible before commit');
    await w.commit();
    const chunks = (await s.db.query<{ n: number }>("SELECT count(*) AS n FROM body_chunks WHERE key = '0000000000dddddddddd'")).rows[0].n;
    assert.equal(chunks, 4, '3.5 MiB in four chunks');
    let size = 0;
    const firsts: number[] = [];
    for await (const x of s.bodies.open('0000000000dddddddddd')) {
      size += (x as Buffer).length;
      firsts.push((x as Buffer)[0]);
    }
    assert.equal(size, 5 * 700 * 1024);
    assert.deepEqual(firsts, [65, 66, 67, 69], 'chunks of 1 MiB over parts of 700 KiB');
    const small = await s.bodies.create('0000000000dddddddddd');
    await small.write(Buffer.from('replaced'));
    await small.commit();
    assert.equal((await s.bodies.read('0000000000dddddddddd')).toString(), 'replaced');
    const aborted = await s.bodies.create('0000000000eeeeeeeeee');
    for (let i = 0; i < 3; i++) await aborted.write(part);
    await aborted.abort();
    assert.equal((await s.db.query<{ n: number }>('SELECT count(*) AS n FROM bodies')).rows[0].n, 1, 'an aborted body leaves no rows');
    await assert.rejects(new Promise((res, rej) => s.bodies.open('0000000000ffffffffff').on('data', res).on('error', rej)), /not found/);
  } finally {
    await s.close();
  }
});

test('postgres: recovery only judges bodies older than the grace period and keeps every lease', async () => {
  let now = Date.now();
  const url = await server.createDatabase();
  const s = await openPostgresStore({ url, poolSize: 2, now: () => now });
  try {
    const w = await s.bodies.create('0000000000gggggggggg');
    await w.write(Buffer.alloc(2 * 1024 * 1024 + 10));
    const half = await s.bodies.create('0000000000hhhhhhhhhh');
    await half.write(Buffer.alloc(1024 * 1024)); // a node dies while writing this one
    await w.commit();
    assert.deepEqual(await s.bodies.settledKeys(), [], 'a fresh body may be about to get its mail');
    assert.equal(await s.bodies.clearTmp(), 0, 'a body being written elsewhere stays');
    now += 2 * 3_600_000;
    assert.deepEqual(await s.bodies.settledKeys(), ['0000000000gggggggggg']);
    assert.equal(await s.bodies.clearTmp(), 1);
    assert.equal('releaseAllLeases' in s.queue, false, 'other nodes hold leases: there is nothing to release at start-up');
  } finally {
    await s.close();
  }
});

test('postgres: users and sealer keys', async () => {
  const s = await openPostgresStore({ url: await server.createDatabase(), poolSize: 2 });
  try {
    assert.equal(await s.users.add({ name: 'ann', role: 'admin', email: null, passwordHash: 'h1' }), true);
    assert.equal(await s.users.add({ name: 'ann', role: 'user', email: null, passwordHash: 'h2' }), false);
    assert.equal(await s.users.setPassword('ann', 'h3'), true);
    assert.equal((await s.users.get('ann'))?.passwordHash, 'h3');
    assert.deepEqual((await s.users.list()).map((u) => u.name), ['ann']);
    assert.equal(await s.users.remove('ann'), true);
    assert.equal(await s.users.get('ann'), null);

    const base = { kind: 'x509' as const, subject: 'CN=alice', issuer: 'CN=ca', serial: '01', notBefore: 1, notAfter: 2, publicData: 'pem' };
    const a = await s.keys.put({ ...base, id: 'aa', source: 'import', addresses: ['Alice@Example.test'], sealedPrivate: Buffer.from('sealed') });
    assert.equal(a.created, true);
    assert.deepEqual(a.key.addresses, ['alice@example.test']);
    const again = await s.keys.put({ ...base, id: 'aa', source: 'harvested', addresses: ['alice@example.test', 'a2@example.test'], sealedPrivate: null });
    assert.equal(again.created, false);
    assert.equal(again.key.source, 'import');
    assert.deepEqual(again.key.sealedPrivate, Buffer.from('sealed'));
    assert.deepEqual(again.key.addresses, ['a2@example.test', 'alice@example.test']);
    assert.deepEqual((await s.keys.list({ address: 'ALICE@example.test' })).map((k) => k.id), ['aa']);
    assert.equal(await s.keys.remove('aa'), true);
    assert.deepEqual(await s.keys.list({ address: 'alice@example.test' }), []);
  } finally {
    await s.close();
  }
});

test('postgres: settings list by literal prefix and delete exactly once', async () => {
  const s = await openPostgresStore({ url: await server.createDatabase(), poolSize: 2 });
  try {
    await s.settings.set('node:a', 1);
    await s.settings.set('node:b', 2);
    await s.settings.set('nodeXa', 3);
    await s.settings.set('no%de', 4);
    assert.deepEqual(await s.settings.list('node:'), [
      { key: 'node:a', value: 1 },
      { key: 'node:b', value: 2 },
    ]);
    assert.deepEqual((await s.settings.list('no%')).map((x) => x.key), ['no%de']);
    const both = await Promise.all([s.settings.delete('node:a'), s.settings.delete('node:a')]);
    assert.deepEqual(both.sort(), [false, true]);
  } finally {
    await s.close();
  }
});

test('postgres: the server ending a connection inside a transaction fails that transaction, and does not crash the node', async () => {
  const s = await openPostgresStore({ url: await server.createDatabase(), poolSize: 2 });
  try {
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    let go!: () => void;
    const resume = new Promise<void>((r) => (go = r));
    const tx = s.db.tx(async (c) => {
      await c.query("INSERT INTO settings (key, value) VALUES ('t', '1')");
      inside();
      await resume; // idle in transaction while the server goes away
      await c.query("INSERT INTO settings (key, value) VALUES ('u', '1')");
    });
    const dedicated = await s.db.connect();
    await entered;
    await server.restart();
    go();
    await assert.rejects(tx, StorageError);
    await assert.rejects(dedicated.query('SELECT 1'));
    dedicated.release();
    assert.equal(await s.settings.get('t'), undefined, 'nothing of the broken transaction was committed');
    await s.settings.set('t', 2);
    assert.equal(await s.settings.get('t'), 2);
  } finally {
    await s.close();
  }
});

// Last: it stops the server.
test('postgres: a lost server is a StorageError, and the store (and its LISTEN) works again after it is back', async () => {
  const c = await cluster();
  try {
    const heard: string[] = [];
    c.b.queue.watch((q) => heard.push(q));
    await waitFor(() => c.b.queue['watcher'].listening || undefined, { timeoutMs: 5000, what: 'LISTEN' });
    const m = await mail(c.a);
    await server.stop();
    await assert.rejects(c.a.queue.insert([m]), StorageError);
    await assert.rejects(c.a.bodies.create('0000000000iiiiiiiiii').then((w) => w.write(Buffer.from('x')).then(() => w.commit())), StorageError);
    await assert.rejects(c.a.queue.claim('seal-in', 'w', 1, 1000), StorageError);
    await server.start();
    await c.a.queue.insert([m]);
    assert.equal((await c.a.queue.get(m.id))?.queue, 'seal-in');
    // The LISTEN connection comes back by itself and announces every stage once (missed notices).
    await waitFor(() => heard.includes('deliver') || undefined, { timeoutMs: 15_000, what: 'the re-established LISTEN' });
    heard.length = 0;
    await c.a.queue.insert([await mail(c.a)]);
    await waitFor(() => heard.includes('seal-in') || undefined, { timeoutMs: 5000, what: 'a notification after the restart' });
  } finally {
    await c.close();
  }
});
