// One mailbox fetch against a real Dovecot into a real SQLite store and flow engine: every
// message once, the envelope from the headers, delete only what is durable, and a crash between
// "durable" and DELE that neither loses nor doubles a mail.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, testMessage, type Dovecot } from '../../../test/helpers/dovecot.ts';
import { FlowEngine } from '../../flow/flow-engine.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { createLogger } from '../log-manager/logger.ts';
import { pop3MailboxSchema, type Pop3MailboxInput } from './config.ts';
import { fetchMailbox, type FetchDeps } from './mailbox-fetch.ts';

let dc: Dovecot;
before(async () => {
  dc = await startDovecot([
    { user: 'keep', password: 'pw-keep' },
    { user: 'del', password: 'pw-del' },
    { user: 'crash', password: 'pw-crash' },
    { user: 'race', password: 'pw-race' },
  ]);
});
after(async () => dc?.stop());

const log = createLogger('pop3-proxy', []);

async function withStore(fn: (store: SqliteStore, deps: FetchDeps) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-pop3-'));
  const store = openSqliteStore(dir);
  const engine = new FlowEngine({ store, log, leaseMs: 60_000, concurrency: 4 });
  const deps: FetchDeps = { submit: (m) => engine.submit(m), bodies: store.bodies, uidls: store.pop3, log, hostname: 'gate.test', maxMessageSize: 10_000_000 };
  try {
    await fn(store, deps);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mailbox = (o: Partial<Pop3MailboxInput>) =>
  pop3MailboxSchema.parse({ name: 'mb', host: '127.0.0.1', port: dc.pop3sPort, tls: 'implicit', ca: dc.caFile, user: 'keep', password: 'pw-keep', deliverTo: 'alice@example.test', ...o });

const never = new AbortController().signal;

test('keep: every message becomes one mail in seal-in; a second fetch takes none', async () => {
  dc.deliver('keep', testMessage({ subject: 'k1', returnPath: 'bounce-k1@remote.test' }));
  dc.deliver('keep', testMessage({ subject: 'k2', from: '"Carol X" <carol@remote.test>', body: 'line one\r\nline two with lone\rCR\n..dotted' }));
  await withStore(async (store, deps) => {
    const m = mailbox({});
    const r1 = await fetchMailbox(m, deps, never);
    assert.equal(r1.onServer, 2);
    assert.equal(r1.mailIds.length, 2);
    assert.equal(r1.deleted, 0);
    const mails = await store.queue.list({ queue: 'seal-in' });
    assert.equal(mails.length, 2);
    const byId = new Map(mails.map((x) => [x.id, x]));
    const first = byId.get(r1.mailIds[0])!;
    assert.equal(first.envelope.source, 'pop3');
    assert.equal(first.envelope.direction, 'inbound');
    assert.equal(first.envelope.sender, 'bounce-k1@remote.test', 'Return-Path is the envelope sender');
    assert.deepEqual(first.envelope.recipients.map((x) => x.address), ['alice@example.test']);
    assert.equal(byId.get(r1.mailIds[1])!.envelope.sender, 'carol@remote.test', 'From when there is no Return-Path');
    const body = (await store.bodies.read(r1.mailIds[1])).toString('latin1');
    assert.match(body, /^Received: from 127\.0\.0\.1\r\n\tby gate\.test \(Gatehouse\) with POP3S id /);
    assert.ok(!/[^\r]\n/.test(body) && !/\r(?!\n)/.test(body), 'every line ends in CRLF');
    assert.match(body, /\r\nline two with lone\r\nCR\r\n\.\.dotted\r\n$/, 'dot-unstuffed exactly once, a lone CR made a line end');
    const events = await store.queue.events(r1.mailIds[0]);
    assert.equal(events[0].actor, 'pop3-proxy');
    assert.equal(events[0].detail?.mailbox, 'mb');

    const r2 = await fetchMailbox(m, deps, never);
    assert.equal(r2.mailIds.length, 0, 'nothing twice');
    assert.equal(dc.count('keep'), 2, 'keep: still on the server');
  });
});

test('delete: messages are deleted on the server only after they are durable; UIDLs are then forgotten', async () => {
  for (let i = 0; i < 3; i++) dc.deliver('del', testMessage({ subject: `d${i}` }));
  await withStore(async (store, deps) => {
    const m = mailbox({ port: dc.pop3Port, tls: 'starttls', user: 'del', password: 'pw-del', keep: false });
    const r = await fetchMailbox(m, deps, never);
    assert.equal(r.mailIds.length, 3);
    assert.equal(r.deleted, 3);
    assert.equal(dc.count('del'), 0, 'deleted at QUIT');
    assert.equal((await store.pop3.fetched('mb')).size, 3);
    const again = await fetchMailbox(m, deps, never);
    assert.equal(again.onServer, 0);
    assert.equal((await store.pop3.fetched('mb')).size, 0, 'UIDLs gone from the server are forgotten');
  });
});

test('a crash after a mail is durable but before DELE: the next fetch deletes it without a second copy', async () => {
  for (let i = 0; i < 3; i++) dc.deliver('crash', testMessage({ subject: `c${i}` }));
  await withStore(async (store, deps) => {
    const m = mailbox({ user: 'crash', password: 'pw-crash', keep: false });
    let n = 0;
    const crashing: FetchDeps = {
      ...deps,
      onFetched: () => {
        if (++n === 2) throw new Error('simulated crash');
      },
    };
    await assert.rejects(fetchMailbox(m, crashing, never), /simulated crash/);
    assert.equal(dc.count('crash'), 3, 'the connection died before QUIT: the server deleted nothing');
    assert.equal((await store.queue.list({ queue: 'seal-in' })).length, 2, 'two mails were durable');
    const r = await fetchMailbox(m, deps, never);
    assert.equal(r.mailIds.length, 1, 'only the third is new');
    assert.equal(r.deleted, 3);
    assert.equal(dc.count('crash'), 0);
    const subjects = [];
    for (const x of await store.queue.list({ queue: 'seal-in' })) subjects.push(/Subject: (\S+)/.exec((await store.bodies.read(x.id)).toString())![1]);
    assert.deepEqual(subjects.sort(), ['c0', 'c1', 'c2'], 'each exactly once');
  });
});

test('two fetches of one mailbox at once still take each message once', async () => {
  for (let i = 0; i < 4; i++) dc.deliver('race', testMessage({ subject: `r${i}` }));
  await withStore(async (store, deps) => {
    const m = mailbox({ user: 'race', password: 'pw-race' });
    const [a, b] = await Promise.all([fetchMailbox(m, deps, never), fetchMailbox(m, deps, never)]);
    assert.equal(a.mailIds.length + b.mailIds.length, 4);
    assert.equal((await store.queue.list({ queue: 'seal-in' })).length, 4);
  });
});

test('a message over the size limit stays on the server and is counted as skipped', async () => {
  await withStore(async (_store, deps) => {
    const m = mailbox({});
    const r = await fetchMailbox(m, { ...deps, maxMessageSize: 10 }, never);
    assert.equal(r.skipped, 2);
    assert.equal(r.mailIds.length, 0);
  });
});
