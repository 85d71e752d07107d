// Redelivery over the real SQLite store and queue: the archived mail becomes a new mail in the
// deliver queue (null sender, the original recipients less the journal address, or the ones
// named), its body the archived mail with one header in front; an imported mail needs a
// recipient named; the redelivery is in the compliance log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { newMailId } from '../../core/ids.ts';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import type { ArchivedMessage } from '../../store/store.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ComplianceLog } from '../compliance-log/index.ts';
import { ControlError } from '../system-manager/control.ts';
import { loadOrCreateArchiveKey } from './archive-key.ts';
import { archiveMail, type ArchiveDeps } from './archive-writer.ts';
import { openArchivedMail } from './archived-mail.ts';
import { redeliver } from './redeliver.ts';

test('redelivery queues the archived mail for delivery, to the original recipients or the ones named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-redeliver-'));
  const store = openSqliteStore(dir);
  try {
    const key = await loadOrCreateArchiveKey(dir);
    const deps: ArchiveDeps = { store: store.archive, key, compression: 'gzip', limits: { maxParseBytes: 1 << 20, maxTextBytes: 1 << 16, deadlineMs: 5000 }, retentionDays: 30 };
    const compliance = new ComplianceLog(store.compliance, createLogger('test', []));
    const keys = (id: string) => (id === key.id ? key.key : undefined);
    const raw = 'From: a@outside.test\r\nTo: b@example.test\r\nSubject: lost mail\r\n\r\nplease send again\r\n';
    const archive = (recipients: string[], source = 'smtp') =>
      archiveMail(
        {
          mailId: newMailId(),
          receivedAt: Date.now(),
          envelope: { sender: 'a@outside.test', recipients: recipients.map((address) => ({ address, status: 'pending' as const })), direction: 'inbound', source },
          size: raw.length,
          body: Buffer.from(raw),
        },
        deps,
      );
    const a = await archive(['b@example.test', 'journal@gate.test']);
    await archive(['C@example.test', 'b@example.test']); // the same content again: one more arrival
    const d = {
      store: store.archive,
      bodies: store.bodies,
      submit: (m: Parameters<typeof store.queue.insert>[0]) => store.queue.insert(m),
      compliance,
      journalAddress: 'journal@gate.test',
      verifiedStream: async (m: ArchivedMessage) => Readable.from(await openArchivedMail(store.archive, m, keys)),
    };
    const m = (await store.archive.get(a.archiveId))!;
    const r = await redeliver(d, m, undefined, 'alice');
    assert.deepEqual(r.recipients, ['b@example.test', 'c@example.test']);
    const queued = (await store.queue.get(r.mailId))!;
    assert.equal(queued.queue, 'deliver');
    assert.equal(queued.envelope.sender, '');
    assert.equal(queued.envelope.source, 'archive');
    const body = (await store.bodies.read(queued.bodyKey)).toString();
    assert.match(body, new RegExp(`^X-Gatehouse-Redelivered: archive ${a.archiveId}; by alice; .+\\r\\n`));
    assert.ok(body.endsWith(raw));
    assert.equal(queued.size, Buffer.byteLength(body));

    const named = await redeliver(d, m, ['Dave@Example.Test'], 'alice');
    assert.deepEqual((await store.queue.get(named.mailId))!.envelope.recipients.map((x) => x.address), ['dave@example.test']);
    await assert.rejects(redeliver(d, m, ['not an address'], 'alice'), (e: ControlError) => e.code === 'REDELIVER_NO_RECIPIENT');

    const imported = await archiveMail(
      { mailId: null, receivedAt: Date.now(), envelope: { sender: '', recipients: [], direction: 'inbound', source: 'import' }, size: 20, body: Buffer.from('Subject: old\r\n\r\nx\r\n') },
      deps,
    );
    await assert.rejects(redeliver(d, (await store.archive.get(imported.archiveId))!, undefined, 'alice'), (e: ControlError) => e.code === 'REDELIVER_NO_RECIPIENT');

    const log = (await compliance.list({ category: 'archive' })).filter((x) => x.action === 'archive.redeliver');
    assert.deepEqual(log.map((x) => [x.subject, x.detail?.mailId]), [[a.archiveId, named.mailId], [a.archiveId, r.mailId]]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
