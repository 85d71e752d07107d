// The backbone end to end with real peers: swaks as the client, Postfix's smtp-sink as the next
// hop, the gateway as its own process. Delivery through every stage, stopped services holding
// mail, the log-manager cascade, relay refusal and SMTP smuggling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let gw: Gateway;

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      // loopback is NOT trusted here: the test client is a stranger on the internet
      trustedNetworks: ['192.0.2.0/24'],
      routes: { 'example.test': `smtp://${sink.address}` },
      smtp: { recipients: ['alice@example.test', 'bob@example.test'] },
    },
  });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

async function send(subject: string, to = 'alice@example.test') {
  return swaks({ server: gw.smtpAddress, from: 'sender@outside.test', to, subject, body: `body of ${subject}\n` });
}

async function arrived(subject: string) {
  return waitFor(async () => (await sink.messages()).find((m) => m.subject === subject), { timeoutMs: 15_000, what: `mail "${subject}" at the sink` });
}

function queuedId(r: { lastReply?: string; stdout: string }): string {
  const m = /queued as ([0-9a-z]{20})/.exec(r.stdout);
  assert.ok(m, `no queue id in: ${r.lastReply}`);
  return m[1];
}

test('an inbound mail is delivered and its tracking shows every stage', async () => {
  const r = await send('first inbound');
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /250 2\.0\.0 Ok: queued as/);
  const id = queuedId(r);
  const m = await arrived('first inbound');
  assert.deepEqual(m.recipients, ['alice@example.test']);
  assert.equal(m.sender, 'sender@outside.test');
  assert.match(m.headers['received']?.[0] ?? '', /by gate\.example\.test \(Gatehouse\) with ESMTP id /);
  const detail = await waitFor(async () => {
    const res = await gw.api('GET', `/api/v1/mails/${id}`);
    return res.json?.queue === 'delivered' ? res.json : undefined;
  });
  assert.equal(detail.envelope.direction, 'inbound');
  const queues = detail.events.map((e: { queue: string }) => e.queue);
  assert.deepEqual(queues, ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver', 'delivered']);
  assert.equal(detail.envelope.recipients[0].status, 'delivered');
  const show = await gw.cli(['queue', 'show', id]);
  assert.equal(show.code, 0, show.stderr);
  for (const q of ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver', 'delivered']) assert.match(show.stdout, new RegExp(q));
});

for (const [service, stage] of [
  ['mail-sealer', 'seal-in'],
  ['spamfinder', 'spamfinder'],
  ['mail-depot', 'depot'],
  ['smtp-sender', 'deliver'],
] as const) {
  test(`${service} stopped: mail waits in ${stage}, and is delivered once it starts again`, async () => {
    const stop = await gw.cli(['services', 'stop', service]);
    assert.equal(stop.code, 0, stop.stderr);
    const st = await gw.api('GET', `/api/v1/services/${service}`);
    assert.equal(st.json.state, 'stopped');
    const subject = `waits at ${stage}`;
    const r = await send(subject);
    assert.equal(r.code, 0, r.stdout);
    const id = queuedId(r);
    await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === stage, { what: `mail in ${stage}` });
    const list = await gw.cli(['queue', 'list', '--queue', stage, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(JSON.parse(list.stdout).some((x: { id: string }) => x.id === id), 'queue list shows the waiting mail');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal((await sink.messages()).filter((x) => x.subject === subject).length, 0, 'not delivered while stopped');
    const start = await gw.cli(['services', 'start', service]);
    assert.equal(start.code, 0, start.stderr);
    await arrived(subject);
  });
}

test('stopping the log-manager stops every other service; they stay stopped until started by hand', async () => {
  const r = await gw.api('POST', '/api/v1/services/log-manager/stop');
  assert.equal(r.status, 200, r.text);
  const list = await gw.api('GET', '/api/v1/services');
  for (const s of list.json.services as { name: string; state: string }[]) {
    if (s.name === 'system-manager') assert.equal(s.state, 'running');
    else assert.equal(s.state, 'stopped', `${s.name} should be stopped`);
  }
  const refused = await send('while everything is stopped');
  assert.notEqual(refused.code, 0, 'smtp-receiver no longer accepts');
  const back = await gw.api('POST', '/api/v1/services/log-manager/start');
  assert.equal(back.status, 200);
  assert.equal((await gw.api('GET', '/api/v1/services/smtp-receiver')).json.state, 'stopped', 'others stay stopped');
  for (const s of ['smtp-receiver', 'mail-sealer', 'spamfinder', 'mail-depot', 'smtp-sender']) {
    const res = await gw.api('POST', `/api/v1/services/${s}/start`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.state, 'running');
  }
  await send('after the cascade');
  await arrived('after the cascade');
});

test('relaying to a foreign domain from an untrusted, unauthenticated client is refused', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'victim@elsewhere.test', quitAfter: 'RCPT' });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /554 5\.7\.1 <victim@elsewhere\.test>: Relay access denied/);
});

test('an unknown local recipient is refused at RCPT', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'nobody@example.test', quitAfter: 'RCPT' });
  assert.match(r.stdout, /550 5\.1\.1 <nobody@example\.test>/);
});

test('an SMTP smuggling attempt is refused and no second mail appears', async () => {
  const before = (await sink.messages()).length;
  const smuggled =
    'Subject: smuggle carrier\r\n\r\nhello\n.\nMAIL FROM:<ceo@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nwire money\r\n';
  const r = await swaks(
    [
      '--server', gw.smtpAddress, '--from', 'x@outside.test', '--to', 'alice@example.test', '--data', '-', '--no-data-fixup',
    ],
    { input: smuggled + '.\r\n' },
  );
  assert.match(r.stdout, /550 5\.5\.2 Message contains a bare LF/);
  await new Promise((res) => setTimeout(res, 500));
  const after = await sink.messages();
  assert.equal(after.length, before);
  assert.ok(!after.some((m) => m.subject === 'smuggled' || m.subject === 'smuggle carrier'));
});

test('the CLI names unknown services and mails with a non-zero exit', async () => {
  const s = await gw.cli(['services', 'start', 'no-such-service']);
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /no-such-service/);
  const q = await gw.cli(['queue', 'show', '00000000000000000000']);
  assert.notEqual(q.code, 0);
  assert.match(q.stderr, /00000000000000000000/);
  const list = await gw.cli(['services', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const names = JSON.parse(list.stdout).map((x: { name: string }) => x.name);
  for (const n of ['log-manager', 'compliance-log', 'system-manager', 'smtp-receiver', 'pop3-proxy', 'mail-sealer', 'portal-crypt', 'spamfinder', 'fuzzy-filter', 'virus-scanner', 'mail-depot', 'smtp-sender', 'remote-support']) {
    assert.ok(names.includes(n), `${n} listed`);
  }
  const rs = JSON.parse(list.stdout).find((x: { name: string }) => x.name === 'remote-support');
  assert.equal(rs.enabled, false, 'remote-support is deactivated by default');
});

test('queue hold, release and delete through the CLI, each in the mail tracking', async () => {
  await gw.cli(['services', 'stop', 'smtp-sender']);
  try {
    const a = queuedId(await send('to be held'));
    const b = queuedId(await send('to be deleted'));
    await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${b}`)).json?.queue === 'deliver');
    assert.equal((await gw.cli(['queue', 'hold', a])).code, 0);
    assert.equal((await gw.api('GET', `/api/v1/mails/${a}`)).json.queue, 'hold');
    const del = await gw.cli(['queue', 'delete', b]);
    assert.equal(del.code, 0, del.stderr);
    const again = await gw.cli(['queue', 'delete', b]);
    assert.notEqual(again.code, 0, 'a deleted mail cannot be deleted twice');
    await gw.cli(['services', 'start', 'smtp-sender']);
    await new Promise((res) => setTimeout(res, 500));
    assert.ok(!(await sink.messages()).some((m) => m.subject === 'to be held'), 'held mail stays');
    assert.equal((await gw.cli(['queue', 'release', a])).code, 0);
    await arrived('to be held');
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(!(await sink.messages()).some((m) => m.subject === 'to be deleted'));
    const events = (await gw.api('GET', `/api/v1/mails/${a}`)).json.events.map((e: { event: string }) => e.event);
    assert.ok(events.includes('held') && events.includes('released') && events.includes('delivered'), events.join(','));
    assert.equal((await gw.api('GET', `/api/v1/mails/${b}`)).json.queue, 'deleted');
  } finally {
    await gw.cli(['services', 'start', 'smtp-sender']);
  }
});

test('metrics show queue sizes and service states in Prometheus format', async () => {
  const r = await gw.api('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.text, /gatehouse_queue_mails\{queue="delivered",deferred="false"\} \d+/);
  assert.match(r.text, /gatehouse_service_up\{service="smtp-receiver",state="running"\} 1/);
});
