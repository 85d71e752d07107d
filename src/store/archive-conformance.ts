// Conformance suite of the archive's retention contract (retainUntil, expired scan, remove with
// a tombstone, legal holds, search limited to ids): every backend runs it unchanged, like
// conformance.ts for the rest of the archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArchiveDeletion, NewArchivedMessage, Store } from './store.ts';

const message = (id: string, subject: string, retainUntil: number): NewArchivedMessage => ({
  id,
  contentHash: `hash-${subject}`,
  size: 10,
  storedSize: 4,
  compression: 'gzip',
  keyId: 'k',
  date: Date.UTC(2025, 0, 1),
  from: 'alice@example.org',
  to: 'bob@example.test',
  cc: '',
  subject,
  messageId: `<${subject}@x>`,
  attachments: [],
  retainUntil,
  addresses: ['alice@example.org', `${subject}@example.test`],
  blob: { inline: Buffer.from('blob') },
  index: { sender: 'alice@example.org', recipients: 'bob@example.test', subject, body: `text of ${subject}`, attachments: '', messageId: `<${subject}@x>` },
});

async function put(s: Store, id: string, subject: string, retainUntil: number) {
  return s.archive.archive({
    message: message(id, subject, retainUntil),
    entry: (last, archiveId) => ({
      seq: (last?.seq ?? 0) + 1,
      at: 1,
      archiveId,
      contentHash: `hash-${subject}`,
      mailId: null,
      receivedAt: 1,
      direction: 'inbound',
      source: 'import',
      sender: 'alice@example.org',
      recipients: ['bob@example.test'],
      clientIp: null,
      trace: null,
      prevHash: last?.hash ?? 'genesis',
      hash: `entry-${(last?.seq ?? 0) + 1}`,
    }),
  });
}

const tombstone = (reason: string) => (last: { seq: number; hash: string } | null, m: { id: string; contentHash: string; archivedAt: number; retainUntil: number }): ArchiveDeletion => ({
  seq: (last?.seq ?? 0) + 1,
  at: 5000,
  archiveId: m.id,
  contentHash: m.contentHash,
  archivedAt: m.archivedAt,
  retainUntil: m.retainUntil,
  reason,
  actor: 'test',
  prevHash: last?.hash ?? 'genesis',
  hash: `deletion-${(last?.seq ?? 0) + 1}`,
});

export function archiveStoreConformance(o: { name: string; open(): Promise<{ store: Store; cleanup(): Promise<void> }> }): void {
  const withStore = (name: string, fn: (s: Store) => Promise<void>) =>
    test(`${o.name}: archive store: ${name}`, async () => {
      const { store, cleanup } = await o.open();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });

  withStore('retainUntil: kept as given, extended (never shortened) by a later arrival of the same content', async (s) => {
    await put(s, 'A1', 'one', 1000);
    assert.equal((await s.archive.get('A1'))!.retainUntil, 1000);
    await put(s, 'A2', 'one', 3000);
    assert.equal((await s.archive.get('A1'))!.retainUntil, 3000);
    await put(s, 'A3', 'one', 2000);
    assert.equal((await s.archive.get('A1'))!.retainUntil, 3000);
  });

  withStore('scanExpired pages expired messages in storage order; search limited to ids', async (s) => {
    await put(s, 'A1', 'one', 1000);
    await put(s, 'A2', 'two', 9000);
    await put(s, 'A3', 'three', 2000);
    const all = await s.archive.scanExpired(2000, 0, 10);
    assert.deepEqual(all.map((x) => x.record.id), ['A1', 'A3']);
    assert.deepEqual((await s.archive.scanExpired(2000, all[0].pos, 10)).map((x) => x.record.id), ['A3']);
    const r = await s.archive.search({ terms: [{ field: 'subject', text: 'three' }], ids: ['A1', 'A3'], offset: 0, limit: 10 });
    assert.deepEqual(r.messages.map((m) => m.id), ['A3']);
    assert.equal((await s.archive.search({ terms: [], ids: [], offset: 0, limit: 10 })).total, 0);
  });

  withStore('remove: only once expired and not held by message; leaves the chain entry and a tombstone', async (s) => {
    await put(s, 'A1', 'one', 1000);
    await put(s, 'A2', 'two', 1000);
    assert.equal(await s.archive.remove('A1', 999, tombstone('retention')), null, 'not expired yet');
    const h = await s.archive.addHold({ id: 'H1', archiveId: 'A2', query: null, reason: 'case', createdBy: 'alice', createdAt: 10 });
    assert.deepEqual(h, { id: 'H1', archiveId: 'A2', query: null, reason: 'case', createdBy: 'alice', createdAt: 10, removedBy: null, removedAt: null });
    assert.equal(await s.archive.remove('A2', 5000, tombstone('retention')), null, 'held');
    const d = await s.archive.remove('A1', 5000, tombstone('retention'));
    assert.equal(d?.seq, 1);
    assert.equal(await s.archive.get('A1'), null);
    assert.equal((await s.archive.entriesOf('A1')).length, 1);
    assert.deepEqual(await s.archive.deletionOf('A1'), d);
    assert.equal(await s.archive.deletionOf('A2'), null);
    assert.equal(await s.archive.remove('A1', 5000, tombstone('retention')), null, 'gone already');
    assert.equal((await s.archive.search({ terms: [{ field: 'any', text: 'one' }], offset: 0, limit: 10 })).total, 0);
    assert.deepEqual(await s.archive.orphanIndexRows(), []);
    await assert.rejects(async () => {
      for await (const _ of await s.archive.openBlob('A1')) void _;
    });

    assert.equal(await s.archive.removeHold('nope', 'bob', 20), null);
    const removed = await s.archive.removeHold('H1', 'bob', 20);
    assert.deepEqual([removed?.removedBy, removed?.removedAt], ['bob', 20]);
    assert.equal(await s.archive.removeHold('H1', 'bob', 21), null, 'removed once');
    assert.deepEqual(await s.archive.holds(), []);
    assert.equal((await s.archive.holds(true)).length, 1);
    assert.equal(await s.archive.remove('A2', 5000, tombstone('retention'), 0), null, 'a hold was placed since the caller counted none');
    const d2 = await s.archive.remove('A2', 5000, tombstone('retention'), 1);
    assert.equal(d2?.prevHash, d?.hash);
    assert.deepEqual((await s.archive.scanDeletions(0, 10)).map((x) => x.record.archiveId), ['A1', 'A2']);
  });

  withStore('participants: exact addresses from the headers and every arrival\'s envelope, case-insensitive', async (s) => {
    await put(s, 'A1', 'one', 9000); // headers: alice@example.org, one@example.test; envelope: alice, bob
    await put(s, 'A2', 'two', 9000);
    const who = async (participants: string[]) =>
      (await s.archive.search({ terms: [], participants, offset: 0, limit: 10 })).messages.map((m) => m.id).sort();
    assert.deepEqual(await who(['one@example.test']), ['A1']);
    assert.deepEqual(await who(['Two@Example.Test']), ['A2']);
    assert.deepEqual(await who(['bob@example.test']), ['A1', 'A2'], 'envelope recipient');
    assert.deepEqual(await who(['example.test']), [], 'whole addresses only');
    assert.deepEqual(await who(['ne@example.test']), []);
    assert.deepEqual(await who([]), []);
    const r = await s.archive.search({ terms: [{ field: 'subject', text: 'two' }], participants: ['alice@example.org', 'x@y.test'], offset: 0, limit: 10 });
    assert.deepEqual(r.messages.map((m) => m.id), ['A2']);
    // A later arrival of the same content adds its envelope addresses.
    await s.archive.archive({
      message: message('A9', 'one', 9000),
      entry: (last, archiveId) => ({
        seq: (last?.seq ?? 0) + 1,
        at: 1,
        archiveId,
        contentHash: 'hash-one',
        mailId: null,
        receivedAt: 1,
        direction: 'inbound',
        source: 'smtp',
        sender: 'Carol@Example.Net',
        recipients: ['dave@example.test'],
        clientIp: null,
        trace: null,
        prevHash: last?.hash ?? 'genesis',
        hash: 'x',
      }),
    });
    assert.deepEqual(await who(['carol@example.net']), ['A1']);
    assert.deepEqual(await who(['dave@example.test']), ['A1']);
  });

  withStore('holds by query are kept as given, oldest first', async (s) => {
    await s.archive.addHold({ id: 'H2', archiveId: null, query: 'from:alice', reason: 'b', createdBy: 'x', createdAt: 2 });
    await s.archive.addHold({ id: 'H1', archiveId: null, query: 'subject:x', reason: 'a', createdBy: 'x', createdAt: 1 });
    assert.deepEqual((await s.archive.holds()).map((h) => [h.id, h.query]), [['H1', 'subject:x'], ['H2', 'from:alice']]);
  });

  withStore('body dedup: a body part is stored once, shared, and deleted with the last message naming it', async (s) => {
    const read = async (r: NodeJS.ReadableStream) => {
      const parts: Buffer[] = [];
      for await (const c of r) parts.push(c as Buffer);
      return Buffer.concat(parts).toString();
    };
    const body = (blob: { inline: Buffer } | null) => ({ hash: 'body-1', size: 100, storedSize: 9, compression: 'gzip', keyId: 'k', blob, dict: Buffer.from(blob ? 'dict-1' : 'dict-2') });
    const putWith = (id: string, subject: string, b: ReturnType<typeof body>) =>
      s.archive.archive({
        message: (({ index, ...m }) => ({ ...m, index: { ...index, body: 'the shared newsletter text' }, body: b }))(message(id, subject, 0)),
        entry: (last, archiveId) => ({
          seq: (last?.seq ?? 0) + 1, at: 1, archiveId, contentHash: `hash-${subject}`, mailId: null, receivedAt: 1, direction: 'inbound', source: 'import',
          sender: 'alice@example.org', recipients: ['bob@example.test'], clientIp: null, trace: null, prevHash: last?.hash ?? 'genesis', hash: `e-${subject}`,
        }),
      });
    assert.equal(await s.archive.findBody('body-1'), null);
    // By reference while nothing is stored: refused, nothing stored.
    await assert.rejects(putWith('A0', 'zero', body(null)), (e: Error & { code?: string }) => e.code === 'ARCHIVE_BODY_GONE');
    assert.equal(await s.archive.get('A0'), null);
    await putWith('A1', 'one', body({ inline: Buffer.from('sealed-body') }));
    assert.equal((await s.archive.findBody('body-1'))?.dict?.toString(), 'dict-1', 'the dictionary stored with the body');
    // A new body (with its blob) that is stored already: refused, the writer archives again.
    await assert.rejects(putWith('A9', 'nine', body({ inline: Buffer.from('other') })), (e: Error & { code?: string }) => e.code === 'ARCHIVE_BODY_STORED');
    assert.equal(await s.archive.get('A9'), null);
    await putWith('A2', 'two', body(null));
    await put(s, 'A3', 'three', 0); // a whole-mail blob, no body part
    for (const id of ['A1', 'A2']) {
      const b = (await s.archive.openBody(id))!;
      assert.deepEqual([b.hash, b.size, b.compression, b.keyId, await read(b.blob), b.dict?.toString()], ['body-1', 100, 'gzip', 'k', 'sealed-body', 'dict-1']);
      assert.equal(await read(await s.archive.openBlob(id)), 'blob');
    }
    assert.equal(await s.archive.openBody('A3'), null);
    // The shared body's text finds every message with it; header terms each one alone.
    const ids = async (terms: { field: 'any' | 'body' | 'subject'; text: string; negate?: boolean }[]) =>
      (await s.archive.search({ terms, offset: 0, limit: 10 })).messages.map((m) => m.id).sort();
    assert.deepEqual(await ids([{ field: 'body', text: 'shared newsletter' }]), ['A1', 'A2']);
    assert.deepEqual(await ids([{ field: 'any', text: 'newsletter' }, { field: 'subject', text: 'two' }]), ['A2']);
    assert.deepEqual(await ids([{ field: 'any', text: 'newsletter' }, { field: 'subject', text: 'two', negate: true }]), ['A1']);
    assert.deepEqual(await ids([{ field: 'any', text: 'text' }, { field: 'body', text: 'newsletter', negate: true }]), ['A3']);
    assert.ok(await s.archive.remove('A1', 1000, tombstone('expired')));
    assert.ok(await s.archive.findBody('body-1'), 'still named by A2');
    assert.equal(await read((await s.archive.openBody('A2'))!.blob), 'sealed-body');
    assert.ok(await s.archive.remove('A2', 1000, tombstone('expired')));
    assert.equal(await s.archive.findBody('body-1'), null, 'gone with the last message naming it');
  });
}
