// The pop3-proxy service over a real Dovecot and a real store: mailboxes fail on their own,
// status and mailboxes added through the control survive a restart, and each fetch that brought
// mail is in the compliance log.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, testMessage, type Dovecot } from '../../../test/helpers/dovecot.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { validateConfig } from '../../config/load.ts';
import { FlowEngine } from '../../flow/flow-engine.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import type { ComplianceEvent, ComplianceRecorder } from '../compliance-log/recorder.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ControlError } from '../system-manager/control.ts';
import { Pop3Proxy } from './index.ts';

let dc: Dovecot;
let dir: string;
let store: SqliteStore;
before(async () => {
  dc = await startDovecot([
    { user: 'good', password: 'pw-good' },
    { user: 'other', password: 'pw-other' },
  ]);
  dir = mkdtempSync(join(tmpdir(), 'gh-pop3svc-'));
  store = openSqliteStore(dir);
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
  await dc?.stop();
});

class MemoryRecorder implements ComplianceRecorder {
  events: ComplianceEvent[] = [];
  async record(e: ComplianceEvent): Promise<void> {
    this.events.push(e);
  }
}

const log = createLogger('pop3-proxy', []);

function proxy(recorder: ComplianceRecorder): Pop3Proxy {
  const box = (name: string, user: string, password: string) => ({ name, host: '127.0.0.1', port: dc.pop3sPort, ca: dc.caFile, user, password, interval: 3600, deliverTo: `${user}@example.test` });
  const config = validateConfig({ pop3: { mailboxes: [box('good', 'good', 'pw-good'), box('bad', 'good', 'wrong')] } });
  const engine = new FlowEngine({ store, log, leaseMs: 60_000, concurrency: 4 });
  return new Pop3Proxy({ config, submit: (m) => engine.submit(m), bodies: store.bodies, uidls: store.pop3, settings: store.settings, recorder, log });
}

test('a wrong password is that mailbox\'s error; the other mailbox fetches; on-demand fetch and control', async () => {
  dc.deliver('good', testMessage({ subject: 'g1' }));
  const rec = new MemoryRecorder();
  const p = proxy(rec);
  assert.equal(p.configured(), true);
  await assert.rejects(p.fetch('good', 'test'), (e: ControlError) => e.code === 'SERVICE_NOT_RUNNING');
  await p.start();
  try {
    const [good, bad] = await waitFor(
      async () => {
        const l = await p.list();
        const g = l.find((m) => m.name === 'good')!;
        const b = l.find((m) => m.name === 'bad')!;
        return g.lastFetchAt && b.lastFetchAt ? [g, b] : undefined;
      },
      { what: 'both mailboxes fetched once' },
    );
    assert.equal(good.lastError, null);
    assert.equal(good.lastCount, 1);
    assert.equal(good.onServer, 1);
    assert.equal(bad.lastErrorCode, 'POP3_AUTH');
    assert.match(bad.lastError ?? '', /login refused/);
    assert.equal(bad.totalFetched, 0);
    assert.ok(good.nextFetchAt && good.nextFetchAt > Date.now() + 3_000_000, 'next fetch after the interval');

    dc.deliver('good', testMessage({ subject: 'g2' }));
    const r = await p.fetch('good', 'test');
    assert.equal(r.ok, true);
    assert.equal(r.fetched, 1);
    assert.equal(r.mailbox.totalFetched, 2);
    const failed = await p.fetch('bad', 'test');
    assert.equal(failed.ok, false);
    assert.match(failed.error ?? '', /login refused/);
    await assert.rejects(p.get('nope'), (e: ControlError) => e.code === 'MAILBOX_NOT_FOUND');

    const fetches = rec.events.filter((e) => e.action === 'pop3.fetch');
    assert.equal(fetches.length, 2);
    assert.equal(fetches[0].category, 'mail');
    assert.equal((fetches[0].detail?.mailIds as string[]).length, 1);
  } finally {
    await p.stop();
  }
  assert.equal((await p.get('good')).state, 'stopped');
});

test('mailboxes added through the control are checked, kept in the settings and come back with their status', async () => {
  const rec = new MemoryRecorder();
  const p = proxy(rec);
  await assert.rejects(p.put({ name: 'x', host: 'h', user: 'u', deliverTo: 'a@b.test' }, 'admin'), (e: ControlError) => e.code === 'MAILBOX_INVALID' && /password/.test(e.message));
  await assert.rejects(p.put({ name: 'x', host: 'h', user: 'u', password: 'p', tls: 'none', deliverTo: 'a@b.test' }, 'admin'), (e: ControlError) => e.code === 'MAILBOX_INVALID' && /insecure/.test(e.message));
  await assert.rejects(p.put({ name: 'good', host: 'h', user: 'u', password: 'p', deliverTo: 'a@b.test' }, 'admin'), (e: ControlError) => e.code === 'MAILBOX_IN_CONFIG');
  dc.deliver('other', testMessage({ subject: 'o1' }));
  await p.start();
  try {
    const added = await p.put({ name: 'other', host: '127.0.0.1', port: dc.pop3Port, tls: 'starttls', trustCertificate: dc.fingerprint, user: 'other', password: 'pw-other', interval: 3600, deliverTo: 'o@example.test' }, 'admin');
    assert.equal(added.source, 'api');
    await waitFor(async () => (await p.get('other')).lastCount === 1, { what: 'the added mailbox fetched at once' });
    assert.ok(rec.events.some((e) => e.action === 'pop3.mailbox.add' && e.subject === 'other' && e.actor === 'admin' && !JSON.stringify(e).includes('pw-other')));
  } finally {
    await p.stop();
  }
  const again = proxy(new MemoryRecorder());
  const other = await again.get('other');
  assert.equal(other.source, 'api');
  assert.equal(other.totalFetched, 1, 'status kept across a restart');
  assert.equal((await again.get('good')).totalFetched, 2);
  await again.remove('other', 'admin');
  await assert.rejects(again.remove('good', 'admin'), (e: ControlError) => e.code === 'MAILBOX_IN_CONFIG');
  assert.deepEqual((await proxy(new MemoryRecorder()).list()).map((m) => m.name), ['good', 'bad']);
});
