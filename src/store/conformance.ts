// The storage contract's conformance suite: every backend (SQLite now, PostgreSQL later) must
// pass it unchanged. Call it from a backend's test file with a factory for a fresh store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Envelope } from '../core/mail.ts';
import { newMailId } from '../core/ids.ts';
import { QueueConflict, type NewMail, type Store } from './store.ts';

export interface ConformanceOptions {
  name: string;
  open(): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

const env = (to = 'a@example.test'): Envelope => ({
  sender: 's@sender.test',
  recipients: [{ address: to, status: 'pending' }],
  direction: 'inbound',
  source: 'smtp',
});

async function newMail(store: Store, queue: NewMail['queue'] = 'seal-in', to?: string): Promise<NewMail> {
  const id = newMailId();
  const w = await store.bodies.create(id);
  await w.write(Buffer.from(`Subject: ${id}\r\n\r\nhello\r\n`));
  await w.commit();
  return { id, queue, envelope: env(to), bodyKey: id, size: 30, receivedAt: Date.now(), event: { event: 'received', actor: 'test' } };
}

export function storeConformance(o: ConformanceOptions): void {
  const withStore = (name: string, fn: (s: Store) => Promise<void>) =>
    test(`${o.name}: ${name}`, async () => {
      const { store, cleanup } = await o.open();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });

  withStore('a body is readable after commit and gone after remove', async (s) => {
    const m = await newMail(s);
    assert.match((await s.bodies.read(m.bodyKey)).toString(), /hello/);
    assert.ok((await s.bodies.keys()).includes(m.bodyKey));
    await s.bodies.remove(m.bodyKey);
    assert.ok(!(await s.bodies.keys()).includes(m.bodyKey));
  });

  withStore('an aborted body leaves nothing', async (s) => {
    const w = await s.bodies.create(newMailId());
    await w.write(Buffer.from('x'));
    await w.abort();
    assert.deepEqual(await s.bodies.keys(), []);
  });

  withStore('insert, claim, complete: one queue at a time, with tracking events', async (s) => {
    const m = await newMail(s);
    await s.queue.insert([m]);
    const claimed = await s.queue.claim('seal-in', 'w1', 10, 60_000);
    assert.equal(claimed.length, 1);
    assert.equal(claimed[0].id, m.id);
    assert.deepEqual(await s.queue.claim('seal-in', 'w2', 10, 60_000), [], 'a leased mail is not claimed twice');
    const ok = await s.queue.complete({ id: m.id, leaseOwner: 'w1', queue: 'spamfinder', event: { event: 'advanced', actor: 'mail-sealer' } });
    assert.equal(ok, true);
    const got = await s.queue.get(m.id);
    assert.equal(got?.queue, 'spamfinder');
    assert.deepEqual((await s.queue.events(m.id)).map((e) => [e.event, e.queue]), [
      ['received', 'seal-in'],
      ['advanced', 'spamfinder'],
    ]);
    const counts = await s.queue.counts();
    assert.equal(counts['spamfinder']?.total, 1);
    assert.equal(counts['seal-in'], undefined);
  });

  withStore('a completion by a worker that lost its lease is refused', async (s) => {
    const m = await newMail(s);
    await s.queue.insert([m]);
    await s.queue.claim('seal-in', 'w1', 1, 60_000);
    assert.equal(await s.queue.complete({ id: m.id, leaseOwner: 'other', queue: 'spamfinder', event: { event: 'advanced', actor: 't' } }), false);
    assert.equal((await s.queue.get(m.id))?.queue, 'seal-in');
  });

  withStore('an expired lease returns the mail to its queue', async (s) => {
    const m = await newMail(s);
    await s.queue.insert([m]);
    await s.queue.claim('seal-in', 'w1', 1, 1);
    await new Promise((r) => setTimeout(r, 20));
    const again = await s.queue.claim('seal-in', 'w2', 1, 60_000);
    assert.equal(again[0]?.id, m.id);
    assert.equal(await s.queue.complete({ id: m.id, leaseOwner: 'w1', queue: 'spamfinder', event: { event: 'x', actor: 't' } }), false);
  });

  withStore('release gives a lease back at once', async (s) => {
    const m = await newMail(s);
    await s.queue.insert([m]);
    await s.queue.claim('seal-in', 'w1', 1, 60_000);
    await s.queue.release(m.id, 'w1');
    assert.equal((await s.queue.claim('seal-in', 'w2', 1, 60_000)).length, 1);
  });

  withStore('a deferred mail is not claimed before its time, counts as deferred, and flush makes it due', async (s) => {
    const m = await newMail(s, 'deliver', 'x@remote.test');
    await s.queue.insert([m]);
    const [c] = await s.queue.claim('deliver', 'w1', 1, 60_000);
    const until = Date.now() + 3_600_000;
    assert.ok(await s.queue.complete({ id: c.id, leaseOwner: 'w1', queue: 'deliver', notBefore: until, attempts: 1, reason: '451 try later', event: { event: 'deferred', actor: 't' } }));
    assert.deepEqual(await s.queue.claim('deliver', 'w1', 1, 60_000), []);
    assert.equal((await s.queue.counts())['deliver'].deferred, 1);
    assert.equal(await s.queue.nextDue('deliver'), until);
    assert.equal((await s.queue.list({ queue: 'deliver', deferred: true })).length, 1);
    assert.equal(await s.queue.flush('other.test'), 0);
    assert.equal(await s.queue.flush('remote.test'), 1);
    const [again] = await s.queue.claim('deliver', 'w1', 1, 60_000);
    assert.equal(again.attempts, 1);
    assert.equal(again.lastReason, '451 try later');
  });

  withStore('generated mails are created in the same step as the completion', async (s) => {
    const m = await newMail(s, 'deliver');
    const dsn = await newMail(s, 'deliver', 's@sender.test');
    await s.queue.insert([m]);
    await s.queue.claim('deliver', 'w1', 1, 60_000);
    await s.queue.complete({ id: m.id, leaseOwner: 'w1', queue: 'bounced', event: { event: 'bounced', actor: 't' }, generated: [{ ...dsn, envelope: { ...dsn.envelope, sender: '' } }] });
    assert.equal((await s.queue.get(m.id))?.queue, 'bounced');
    assert.equal((await s.queue.get(dsn.id))?.envelope.sender, '');
    assert.ok((await s.queue.liveBodyKeys()).has(dsn.id));
    assert.ok(!(await s.queue.liveBodyKeys()).has(m.id), 'a final mail holds no live body');
  });

  withStore('admin moves are guarded by queue and lease', async (s) => {
    const m = await newMail(s);
    await s.queue.insert([m]);
    const held = await s.queue.move(m.id, 'hold', { from: ['seal-in'], heldFrom: 'seal-in', event: { event: 'held', actor: 'admin' } });
    assert.equal(held?.queue, 'hold');
    assert.equal(held?.heldFrom, 'seal-in');
    await assert.rejects(s.queue.move(m.id, 'seal-in', { from: ['deliver'], event: { event: 'released', actor: 'admin' } }), QueueConflict);
    await s.queue.move(m.id, 'seal-in', { from: ['hold'], heldFrom: null, event: { event: 'released', actor: 'admin' } });
    await s.queue.claim('seal-in', 'w1', 1, 60_000);
    await assert.rejects(s.queue.move(m.id, 'hold', { event: { event: 'held', actor: 'admin' } }), QueueConflict);
    assert.equal(await s.queue.move(newMailId(), 'hold', { event: { event: 'held', actor: 'admin' } }), null);
  });

  withStore('claims take the oldest ready mail first and respect the limit', async (s) => {
    const ms = [];
    for (let i = 0; i < 5; i++) ms.push(await newMail(s));
    await s.queue.insert(ms);
    const a = await s.queue.claim('seal-in', 'w1', 3, 60_000);
    const b = await s.queue.claim('seal-in', 'w2', 3, 60_000);
    assert.equal(a.length, 3);
    assert.equal(b.length, 2);
    assert.equal(new Set([...a, ...b].map((x) => x.id)).size, 5);
  });

  withStore('concurrent claimers never get the same mail', async (s) => {
    const ms = [];
    for (let i = 0; i < 40; i++) ms.push(await newMail(s));
    await s.queue.insert(ms);
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => s.queue.claim('seal-in', `w${i}`, 7, 60_000)));
    const ids = got.flat().map((x) => x.id);
    assert.equal(ids.length, 40);
    assert.equal(new Set(ids).size, 40);
  });

  withStore('purgeFinal forgets old final mails and their events, and nothing else', async (s) => {
    const done = await newMail(s, 'deliver');
    const waiting = await newMail(s, 'deliver');
    await s.queue.insert([done, waiting]);
    const [c] = await s.queue.claim('deliver', 'w1', 1, 60_000);
    await s.queue.complete({ id: c.id, leaseOwner: 'w1', queue: 'delivered', event: { event: 'delivered', actor: 't' } });
    assert.equal(await s.queue.purgeFinal(Date.now() + 1000), 1);
    assert.equal(await s.queue.get(c.id), null);
    assert.deepEqual(await s.queue.events(c.id), []);
    const other = c.id === done.id ? waiting.id : done.id;
    assert.equal((await s.queue.get(other))?.queue, 'deliver');
  });

  withStore('logs: append and query by service, level, mail and text', async (s) => {
    const now = Date.now();
    await s.logs.append([
      { at: now, level: 'info', service: 'smtp-receiver', msg: 'accepted one', mailId: 'm1' },
      { at: now, level: 'error', service: 'smtp-sender', msg: 'connection refused', mailId: 'm1' },
      { at: now, level: 'debug', service: 'smtp-sender', msg: 'noise' },
    ]);
    assert.equal((await s.logs.query({ mailId: 'm1' })).length, 2);
    assert.equal((await s.logs.query({ service: 'smtp-sender' })).length, 2);
    assert.equal((await s.logs.query({ level: 'error' })).length, 1);
    assert.equal((await s.logs.query({ text: 'refused' }))[0].service, 'smtp-sender');
    assert.equal(await s.logs.purge(now + 1), 3);
  });

  withStore('pop3: a fetched message becomes a mail exactly once, recorded with its insert', async (s) => {
    const first = { ...(await newMail(s)), fetched: { mailbox: 'provider', uidl: 'u-1' } };
    await s.queue.insert([first]);
    assert.deepEqual(await s.pop3.fetched('provider'), new Map([['u-1', first.id]]));
    const again = { ...(await newMail(s)), fetched: { mailbox: 'provider', uidl: 'u-1' } };
    await assert.rejects(s.queue.insert([again]), QueueConflict);
    assert.equal(await s.queue.get(again.id), null, 'the refused insert left no mail');
    const other = { ...(await newMail(s)), fetched: { mailbox: 'other', uidl: 'u-1' } };
    await s.queue.insert([other]);
    assert.equal((await s.pop3.fetched('other')).get('u-1'), other.id, 'UIDLs are per mailbox');
    assert.equal(await s.pop3.forget('provider', ['u-1', 'u-unknown']), 1);
    assert.equal((await s.pop3.fetched('provider')).size, 0);
    assert.equal((await s.pop3.fetched('other')).size, 1);
  });

  withStore('compliance: appends chain to the last record, list is newest first, scan is in append order', async (s) => {
    const append = (action: string) =>
      s.compliance.append((last) => ({
        seq: (last?.seq ?? 0) + 1,
        at: Date.now(),
        category: 'admin',
        action,
        actor: 'test',
        subject: null,
        detail: null,
        prevHash: last?.hash ?? 'genesis',
        hash: `h-${action}`,
      }));
    await Promise.all(['a', 'b', 'c'].map(append));
    const list = await s.compliance.list({ limit: 10 });
    assert.deepEqual(list.map((r) => r.seq), [3, 2, 1]);
    assert.deepEqual(list.map((r) => r.prevHash), [list[1].hash, list[2].hash, 'genesis']);
    assert.deepEqual((await s.compliance.list({ beforeSeq: 3, limit: 1 })).map((r) => r.seq), [2]);
    const scan = await s.compliance.scan(0, 2);
    assert.deepEqual(scan.map((x) => x.record.seq), [1, 2]);
    assert.deepEqual((await s.compliance.scan(scan[1].pos, 10)).map((x) => x.record.seq), [3]);
  });

  withStore('archive: one content is stored once, every arrival is a chain entry, search and scans see it', async (s) => {
    const message = (id: string, subject: string) => ({
      id,
      contentHash: `hash-${subject}`,
      size: 10,
      storedSize: 4,
      compression: 'gzip',
      keyId: 'k',
      date: Date.UTC(2025, 0, subject.length),
      from: 'alice@example.org',
      to: 'bob@example.test',
      cc: '',
      subject,
      messageId: `<${subject}@x>`,
      attachments: [],
      retainUntil: Date.UTC(2035, 0, 1),
      addresses: ['alice@example.org', 'bob@example.test'],
      blob: { inline: Buffer.from('blob') },
      index: { sender: 'alice@example.org', recipients: 'bob@example.test', subject, body: `text of ${subject}`, attachments: '', messageId: `<${subject}@x>` },
    });
    const entry = (archiveId: string, hash: string) => (last: { seq: number; hash: string } | null) => ({
      seq: (last?.seq ?? 0) + 1,
      at: Date.now(),
      archiveId,
      contentHash: hash,
      mailId: null,
      receivedAt: Date.now(),
      direction: 'inbound',
      source: 'import',
      sender: 'alice@example.org',
      recipients: ['bob@example.test'],
      clientIp: null,
      trace: null,
      prevHash: last?.hash ?? 'genesis',
      hash: `entry-${(last?.seq ?? 0) + 1}`,
    });
    const a = await s.archive.archive({ message: message('A0000000000000000001', 'first'), entry: (l, id) => entry(id, 'hash-first')(l) });
    const b = await s.archive.archive({ message: message('A0000000000000000002', 'first'), entry: (l, id) => entry(id, 'hash-first')(l) });
    const c = await s.archive.archive({ message: message('A0000000000000000003', 'second one'), entry: (l, id) => entry(id, 'hash-second one')(l) });
    assert.deepEqual([a.deduplicated, b.deduplicated, c.deduplicated], [false, true, false]);
    assert.equal(b.entry.archiveId, 'A0000000000000000001');
    assert.deepEqual((await s.archive.entriesOf('A0000000000000000001')).map((e) => e.seq), [1, 2]);
    const all = await s.archive.search({ terms: [], offset: 0, limit: 10 });
    assert.deepEqual(all.messages.map((m) => m.subject), ['second one', 'first'], 'newest first');
    assert.equal((await s.archive.search({ terms: [{ field: 'body', text: 'text of first' }], offset: 0, limit: 10 })).total, 1);
    assert.equal((await s.archive.search({ terms: [{ field: 'from', text: 'alice' }, { field: 'any', text: 'second', negate: true }], offset: 0, limit: 10 })).total, 1);
    const blob: Buffer[] = [];
    for await (const x of await s.archive.openBlob('A0000000000000000003')) blob.push(x as Buffer);
    assert.equal(Buffer.concat(blob).toString(), 'blob');
    assert.deepEqual((await s.archive.scanEntries(0, 10)).map((x) => x.record.seq), [1, 2, 3]);
    assert.deepEqual((await s.archive.scanMessages(0, 10)).map((x) => [x.record.id, x.record.indexed]), [
      ['A0000000000000000001', true],
      ['A0000000000000000003', true],
    ]);
    assert.deepEqual(await s.archive.orphanIndexRows(), []);
    assert.deepEqual(await s.archive.keyIds(), ['k']);
  });

  withStore('settings keep JSON values', async (s) => {
    assert.equal(await s.settings.get('x'), undefined);
    await s.settings.set('x', { a: 1 });
    await s.settings.set('x', { a: 2 });
    assert.deepEqual(await s.settings.get('x'), { a: 2 });
  });

  withStore('settings list by a plain prefix in key order, and a delete is seen by one caller only', async (s) => {
    await s.settings.set('node:b', { at: 2 });
    await s.settings.set('node:a', { at: 1 });
    await s.settings.set('nodex', 1);
    await s.settings.set('node_a', 1); // `_` is no wildcard
    await s.settings.set('node%', 1); // nor is `%`
    assert.deepEqual(await s.settings.list('node:'), [
      { key: 'node:a', value: { at: 1 } },
      { key: 'node:b', value: { at: 2 } },
    ]);
    assert.deepEqual((await s.settings.list('node%')).map((e) => e.key), ['node%']);
    assert.deepEqual(await s.settings.list('nothing:'), []);
    const both = await Promise.all([s.settings.delete('node:a'), s.settings.delete('node:a')]);
    assert.deepEqual(both.sort(), [false, true]);
    assert.equal(await s.settings.get('node:a'), undefined);
    assert.equal(await s.settings.delete('never-there'), false);
    assert.deepEqual((await s.settings.list('node:')).map((e) => e.key), ['node:b']);
  });
}
