// `archive verify` on PostgreSQL: real mail archived by mail-depot's writer (sealed, chained,
// one large enough for chunk rows) into the PostgreSQL archive verifies clean, and what someone
// changes behind the store's back with SQL — a byte of a blob or of a chunk, an index row, a
// chain entry's sender, an entry gone — is each named, as on SQLite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { newMailId } from '../../core/ids.ts';
import { loadOrCreateArchiveKey } from '../../services/mail-depot/archive-key.ts';
import { archiveMail, type ArchiveDeps } from '../../services/mail-depot/archive-writer.ts';
import { verifyArchive } from '../../services/mail-depot/archive-verify.ts';
import { pgFixture } from './pg-fixture.ts';

const fx = pgFixture();

function raw(subject: string, body: string): Buffer {
  return Buffer.from(
    ['From: a@example.org', 'To: b@example.test', `Subject: ${subject}`, 'Date: Tue, 14 Jan 2025 10:00:00 +0000', `Message-ID: <${subject}@example.org>`, '', body, ''].join('\r\n'),
  );
}

test('postgres: archive verify is clean on real archived mail and names each change made behind its back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pg-verify-'));
  const { store, cleanup } = await fx.open();
  try {
    const key = await loadOrCreateArchiveKey(dir);
    const deps: ArchiveDeps = {
      store: store.archive,
      key,
      compression: 'brotli',
      limits: { maxParseBytes: 16 * 1024 * 1024, maxTextBytes: 1024 * 1024, deadlineMs: 10_000 },
      retentionDays: 3650,
    };
    const keys = (id: string) => (id === key.id ? key.key : undefined);
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) {
      // The sixth does not compress below the inline limit: it goes to chunk rows, streamed in.
      const body = i === 6 ? randomBytes(1536 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n') : `body ${i}`;
      const m = raw(`m${i}`, body);
      const a = await archiveMail(
        {
          mailId: newMailId(),
          receivedAt: Date.now(),
          envelope: { sender: 'a@example.org', recipients: [{ address: 'b@example.test', status: 'pending' }], direction: 'inbound', source: 'smtp' },
          size: m.length,
          body: i === 6 ? Readable.from([m.subarray(0, 500_000), m.subarray(500_000)]) : m,
        },
        deps,
      );
      ids.push(a.archiveId);
    }
    assert.ok((await store.db.query('SELECT 1 FROM archive_blob_chunks')).rowCount! > 1, 'the large one is in chunk rows');
    const clean = await verifyArchive(store.archive, keys);
    assert.equal(clean.ok, true, JSON.stringify(clean));
    assert.equal(clean.messages, 6);
    assert.equal(clean.chain.count, 6);

    const db = store.db;
    const pos = async (id: string) => (await db.query<{ pos: number }>('SELECT pos FROM archive_messages WHERE id = $1', [id])).rows[0].pos;
    await db.query('UPDATE archive_blobs SET data = set_byte(data, 40, get_byte(data, 40) # 1) WHERE pos = $1', [await pos(ids[1])]);
    await db.query('DELETE FROM archive_fts WHERE pos = $1', [await pos(ids[3])]);
    await db.query('UPDATE archive_entries SET sender = $1 WHERE seq = 2', ['mallory@example.org']);
    await db.query('DELETE FROM archive_entries WHERE seq = 5');
    await db.query(
      `UPDATE archive_blob_chunks SET data = set_byte(data, 1000, get_byte(data, 1000) # 1)
       WHERE blob_key = (SELECT blob_file FROM archive_messages WHERE id = $1) AND n = 1`,
      [ids[5]],
    );
    const r = await verifyArchive(store.archive, keys);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.kind, p.archiveId]),
      [
        ['corrupt', ids[1]],
        ['not-indexed', ids[3]],
        ['unchained', ids[4]],
        ['corrupt', ids[5]],
      ],
    );
    assert.deepEqual(r.chain.problems.map((p) => [p.seq, p.kind]), [
      [2, 'changed'],
      [5, 'missing'],
    ]);
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
