// pop3-proxy end to end: a real Dovecot (started here, own config, loopback), the real gateway
// process and Postfix's smtp-sink as the internal mail server. Mail is fetched once, delivered
// to the mailbox's local recipient, deleted on the server only when so configured, and neither
// lost nor doubled by a restart or a kill -9 in the middle of a fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDovecot, testMessage, type Dovecot } from '../helpers/dovecot.ts';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

interface MailboxStatus {
  name: string;
  state: string;
  lastFetchAt: number | null;
  lastSuccessAt: number | null;
  lastCount: number;
  totalFetched: number;
  onServer: number | null;
  lastError: string | null;
  lastErrorCode: string | null;
}

async function mailbox(gw: Gateway, name: string): Promise<MailboxStatus> {
  const r = await gw.api('GET', '/api/v1/pop3/mailboxes');
  assert.equal(r.status, 200, r.text);
  const m = (r.json.mailboxes as MailboxStatus[]).find((x) => x.name === name);
  assert.ok(m, `mailbox ${name} listed`);
  return m;
}

/** Every mail the gateway holds has reached a final state (nothing still on its way). */
async function flowIdle(gw: Gateway): Promise<boolean> {
  const { queues } = (await gw.api('GET', '/api/v1/queues')).json as { queues: Record<string, { total: number }> };
  return Object.entries(queues).every(([q, c]) => ['delivered', 'bounced', 'deleted'].includes(q) || c.total === 0);
}

function subjects(msgs: { subject?: string }[]): string[] {
  return msgs.map((m) => m.subject ?? '').sort();
}

async function setup(users: { user: string; password: string }[]): Promise<{ dc: Dovecot; sink: SmtpSink }> {
  return { dc: await startDovecot(users), sink: await startSmtpSink() };
}

const baseConfig = (sink: SmtpSink, mailboxes: Record<string, unknown>[]) => ({
  domains: ['example.test'],
  routes: { 'example.test': `smtp://${sink.address}` },
  log: { level: 'warn' },
  pop3: { mailboxes },
});

test('POP3S, keep: fetched into the flow and delivered; UIDLs hold across a gateway restart; fetch on demand', async () => {
  const { dc, sink } = await setup([{ user: 'alice', password: 'alice-pw' }]);
  for (let i = 1; i <= 3; i++) dc.deliver('alice', testMessage({ subject: `keep-${i}`, returnPath: `sender${i}@remote.test` }));
  const gw = await startGateway({
    config: baseConfig(sink, [
      { name: 'provider', host: '127.0.0.1', port: dc.pop3sPort, tls: 'implicit', ca: dc.caFile, user: 'alice', password: 'alice-pw', interval: 3600, keep: true, deliverTo: 'alice@example.test' },
    ]),
  });
  try {
    const got = await sink.waitForCount(3, 20_000);
    assert.deepEqual(subjects(got), ['keep-1', 'keep-2', 'keep-3']);
    for (const m of got) {
      assert.deepEqual(m.recipients, ['alice@example.test'], 'delivered to the local recipient');
      assert.match(m.sender, /^sender\d@remote\.test$/, 'envelope sender from Return-Path');
      assert.match(m.headers['received']?.join('\n') ?? '', /by \S+ \(Gatehouse\) with POP3S id/);
    }
    const st = await waitFor(async () => {
      const s = await mailbox(gw, 'provider');
      return s.lastSuccessAt ? s : undefined;
    });
    assert.equal(st.lastCount, 3);
    assert.equal(st.onServer, 3);
    assert.equal(st.lastError, null);
    assert.equal(dc.count('alice'), 3, 'keep: the mail stays on the server');

    const before = Date.now();
    await gw.restart();
    await waitFor(async () => ((await mailbox(gw, 'provider')).lastSuccessAt ?? 0) > before, { timeoutMs: 20_000, what: 'the fetch after the restart' });
    await waitFor(() => flowIdle(gw), { what: 'the flow idle' });
    assert.equal((await mailbox(gw, 'provider')).lastCount, 0, 'nothing fetched twice after the restart');
    assert.equal((await sink.messages()).length, 3);

    dc.deliver('alice', testMessage({ subject: 'keep-4' }));
    const fetched = await gw.cli(['pop3', 'fetch', 'provider']);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stdout, /provider: 1 new mail\(s\) fetched, 0 deleted on the server/);
    await sink.waitForCount(4, 20_000);
    const list = await gw.cli(['pop3', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^provider\s+127\.0\.0\.1:\d+ \(implicit, keep\)\s+alice@example\.test\s+idle\s+(just now|\S+ ago)\s+1\s+4\s+-$/m);
    await waitFor(() => flowIdle(gw));
    assert.deepEqual(subjects(await sink.messages()), ['keep-1', 'keep-2', 'keep-3', 'keep-4']);
  } finally {
    await gw.dispose();
    await sink.stop();
    await dc.stop();
  }
});

test('STLS with delete; a wrong password is only that mailbox\'s error; deactivating pop3-proxy leaves the flow running', async () => {
  const { dc, sink } = await setup([
    { user: 'bob', password: 'bob-pw' },
    { user: 'carol', password: 'carol-pw' },
  ]);
  dc.deliver('bob', testMessage({ subject: 'stls-1' }));
  dc.deliver('bob', testMessage({ subject: 'stls-2' }));
  dc.deliver('carol', testMessage({ subject: 'for carol' }));
  const gw = await startGateway({
    config: baseConfig(sink, [
      { name: 'wrongpw', host: '127.0.0.1', port: dc.pop3sPort, tls: 'implicit', ca: dc.caFile, user: 'carol', password: 'not-carols', interval: 3600, deliverTo: 'carol@example.test' },
      { name: 'bob', host: '127.0.0.1', port: dc.pop3Port, tls: 'starttls', trustCertificate: dc.certFile, user: 'bob', password: 'bob-pw', interval: 3600, keep: false, deliverTo: 'bob@example.test' },
    ]),
  });
  try {
    assert.deepEqual(subjects(await sink.waitForCount(2, 20_000)), ['stls-1', 'stls-2']);
    await waitFor(() => dc.count('bob') === 0, { what: 'deleted on the server after the durable fetch' });
    const bad = await waitFor(async () => {
      const s = await mailbox(gw, 'wrongpw');
      return s.lastFetchAt ? s : undefined;
    });
    assert.equal(bad.lastErrorCode, 'POP3_AUTH');
    assert.match(bad.lastError ?? '', /login refused/);
    assert.equal(dc.count('carol'), 1);
    const bob = await mailbox(gw, 'bob');
    assert.equal(bob.lastError, null);
    assert.equal(bob.totalFetched, 2);

    const list = await gw.cli(['pop3', 'list']);
    assert.match(list.stdout, /^wrongpw\s.*POP3_AUTH: login refused/m);
    const failed = await gw.cli(['pop3', 'fetch', 'wrongpw']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /wrongpw: fetch failed: login refused/);
    const unknown = await gw.api('POST', '/api/v1/pop3/mailboxes/nope/fetch');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, 'MAILBOX_NOT_FOUND');

    const invalid = await gw.api('PUT', '/api/v1/pop3/mailboxes/extra', { host: '127.0.0.1', user: 'carol', password: 'carol-pw', tls: 'none', deliverTo: 'carol@example.test' });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.json.code, 'MAILBOX_INVALID');
    assert.match(invalid.json.detail, /insecure/);
    const added = await gw.api('PUT', '/api/v1/pop3/mailboxes/extra', { host: '127.0.0.1', port: dc.pop3sPort, ca: dc.caFile, user: 'carol', password: 'carol-pw', interval: 3600, deliverTo: 'carol@example.test' });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.json.source, 'api');
    assert.equal(JSON.stringify(added.json).includes('carol-pw'), false, 'the password is never shown');
    await sink.waitForCount(3, 20_000);
    assert.equal((await gw.api('PUT', '/api/v1/pop3/mailboxes/bob', { host: 'x', user: 'y', password: 'z', deliverTo: 'a@example.test' })).json.code, 'MAILBOX_IN_CONFIG');
    assert.equal((await gw.api('DELETE', '/api/v1/pop3/mailboxes/extra')).status, 204);

    const off = await gw.cli(['services', 'deactivate', 'pop3-proxy']);
    assert.equal(off.code, 0, off.stderr);
    const r = await swaks({ server: gw.smtpAddress, from: 'x@remote.test', to: 'bob@example.test', subject: 'smtp while pop3 is off' });
    assert.equal(r.code, 0, r.stdout);
    await sink.waitForCount(4, 20_000);
    const refused = await gw.api('POST', '/api/v1/pop3/mailboxes/bob/fetch');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.code, 'SERVICE_NOT_RUNNING');
    assert.equal((await mailbox(gw, 'bob')).state, 'stopped');
  } finally {
    await gw.dispose();
    await sink.stop();
    await dc.stop();
  }
});

test('kill -9 of the gateway in the middle of a fetch: after the restart no mail is missing and none came twice', async () => {
  const total = 300;
  const { dc, sink } = await setup([{ user: 'dave', password: 'dave-pw' }]);
  for (let i = 0; i < total; i++) dc.deliver('dave', testMessage({ subject: `crash-${String(i).padStart(3, '0')}`, body: 'x'.repeat(4000) }));
  const gw = await startGateway({
    config: baseConfig(sink, [
      { name: 'bulk', host: '127.0.0.1', port: dc.pop3sPort, tls: 'implicit', ca: dc.caFile, user: 'dave', password: 'dave-pw', interval: 3600, keep: false, deliverTo: 'dave@example.test' },
    ]),
  });
  try {
    const taken = await waitFor(
      async () => {
        const { queues } = (await gw.api('GET', '/api/v1/queues')).json as { queues: Record<string, { total: number }> };
        const n = Object.values(queues).reduce((a, c) => a + c.total, 0);
        return n >= 20 ? n : undefined;
      },
      { intervalMs: 5, timeoutMs: 20_000, what: 'the fetch under way' },
    );
    await gw.kill('SIGKILL');
    assert.ok(taken < total, `killed in the middle of the fetch (${taken} of ${total} taken)`);
    assert.ok(dc.count('dave') === total, 'the server deleted nothing: the session never reached QUIT');

    const restartedAt = Date.now();
    await gw.restart();
    await waitFor(async () => ((await mailbox(gw, 'bulk')).lastSuccessAt ?? 0) > restartedAt, { timeoutMs: 60_000, what: 'a complete fetch after the restart' });
    await waitFor(() => flowIdle(gw), { timeoutMs: 60_000, what: 'every fetched mail delivered' });
    const got = await sink.messages();
    assert.equal(new Set(subjects(got)).size, total, 'none missing');
    // Exactly once into the gateway: each POP3 message became one mail (the id its Received:
    // header names). The kill can also hit smtp-sender between the sink's 250 and recording the
    // delivery; those mails are then sent again after the restart (SMTP is at-least-once), but it
    // is the same gateway mail, never a second fetch.
    const mailIds = new Map<string, Set<string>>();
    for (const m of got) {
      const id = /with POP3S id (\S+)/.exec(m.headers['received']?.join('\n') ?? '')?.[1];
      assert.ok(id, 'a Received: header names the gateway mail');
      mailIds.set(m.subject!, (mailIds.get(m.subject!) ?? new Set()).add(id));
    }
    const twice = [...mailIds].filter(([, ids]) => ids.size > 1).map(([s]) => s);
    assert.deepEqual(twice, [], 'no POP3 message was fetched twice');
    // Several mails can be in delivery at the kill (the stage delivers in parallel); each resent
    // copy is one of those, never more than the stage's concurrency (flow.concurrency, 64).
    assert.ok(got.length - total <= 64, `only mails in delivery at the kill were sent again (${got.length - total})`);
    assert.equal(dc.count('dave'), 0, 'all deleted on the server once durable');
  } finally {
    await gw.dispose();
    await sink.stop();
    await dc.stop();
  }
});
