// Nothing that got a 250 is lost: kill -9 under load, next hop down then back, a 550 from the
// next hop (one DSN), a refused configuration, and storage failing at commit (451/452).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import { startGateway, startGatewayExpectFailure } from '../helpers/gateway.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';
import { freePort } from '../helpers/ports.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { startDnsServer } from '../helpers/dns-server.ts';

test('kill -9 in the middle of a bounded load: every mail that got a 250 arrives after restart', async () => {
  const sink = await startSmtpSink();
  const gw = await startGateway({
    config: { domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` }, log: { level: 'warn' } },
  });
  try {
    const acked = new Set<string>();
    const total = 400;
    let killed = false;
    const transport = createTransport({ host: '127.0.0.1', port: gw.smtpPort, pool: true, maxConnections: 10, maxMessages: 20, ignoreTLS: true });
    const sends = Array.from({ length: total }, (_, i) => {
      const subject = `load-${i}`;
      return transport
        .sendMail({ from: 'load@example.test', to: 'rcpt@example.test', subject, text: 'x'.repeat(2000) })
        .then(() => {
          acked.add(subject);
          if (!killed && acked.size >= 120) {
            killed = true;
            void gw.kill('SIGKILL');
          }
        })
        .catch(() => undefined); // refused or cut off by the kill: never acknowledged, may be lost
    });
    await Promise.all(sends);
    transport.close();
    assert.ok(killed, 'the gateway was killed mid-load');
    assert.ok(acked.size >= 120 && acked.size < total, `acked ${acked.size}`);
    await gw.restart();
    const arrivedAll = await waitFor(
      async () => {
        const got = new Set((await sink.messages()).map((m) => m.subject));
        return [...acked].every((s) => got.has(s)) ? got : undefined;
      },
      { timeoutMs: 60_000, what: 'every acknowledged mail at the sink' },
    );
    for (const s of acked) assert.ok(arrivedAll.has(s), `${s} arrived`);
  } finally {
    await gw.dispose();
    await sink.stop();
  }
});

test('next hop down: the mail is deferred, then delivered when it comes back', async () => {
  const port = await freePort();
  const gw = await startGateway({
    config: {
      domains: ['example.test'],
      routes: { 'example.test': `smtp://127.0.0.1:${port}` },
      delivery: { retryInitial: '1s', retryMax: '2s', connectTimeout: '2s' },
    },
  });
  let sink: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  try {
    const r = await swaks({ server: gw.smtpAddress, from: 's@example.test', to: 'a@example.test', subject: 'while down' });
    assert.equal(r.code, 0, r.stdout);
    const id = /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
    const deferred = await waitFor(async () => {
      const m = (await gw.api('GET', `/api/v1/mails/${id}`)).json;
      return m?.queue === 'deliver' && m.attempts >= 1 ? m : undefined;
    }, { what: 'a deferral' });
    assert.match(deferred.lastReason ?? '', /ECONNREFUSED|refused|connect/i);
    const list = await gw.cli(['queue', 'list', '--queue', 'deliver', '--deferred', '--json']);
    assert.ok(JSON.parse(list.stdout).some((m: { id: string }) => m.id === id));
    sink = await startSmtpSink({ port });
    const flushed = await gw.cli(['queue', 'flush', '--domain', 'example.test']);
    assert.equal(flushed.code, 0, flushed.stderr);
    await sink.waitForCount(1, 15_000);
    assert.equal((await sink.messages())[0].subject, 'while down');
    await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === 'delivered');
  } finally {
    await gw.dispose();
    await sink?.stop();
  }
});

test('next hop answers 550: exactly one DSN goes back to the sender', async () => {
  const rejecting = await startSmtpSink({ hardReject: ['RCPT'], hardReply: '550 5.1.1 no such user here' });
  const senderSide = await startSmtpSink();
  const gw = await startGateway({
    config: {
      domains: ['example.test'],
      routes: { 'partner.test': `smtp://${rejecting.address}`, 'example.test': `smtp://${senderSide.address}` },
    },
  });
  try {
    const r = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to: 'ghost@partner.test', subject: 'to a ghost' });
    assert.equal(r.code, 0, r.stdout);
    const [dsn] = await senderSide.waitForCount(1, 15_000);
    assert.equal(dsn.sender, '', 'a DSN has the null sender');
    assert.deepEqual(dsn.recipients, ['alice@example.test']);
    assert.match(dsn.headers['content-type']?.[0] ?? '', /multipart\/report.*delivery-status/i);
    assert.match(dsn.body, /Final-Recipient: rfc822;\s*ghost@partner\.test/i);
    assert.match(dsn.body, /Status: 5\.1\.1/);
    assert.match(dsn.body, /no such user here/);
    await new Promise((res) => setTimeout(res, 1000));
    assert.equal((await senderSide.messages()).length, 1, 'exactly one DSN');
  } finally {
    await gw.dispose();
    await rejecting.stop();
    await senderSide.stop();
  }
});

test('a malformed config key refuses start-up and names the key', async () => {
  const r = await startGatewayExpectFailure({ smtp: { listen: '127.0.0.1:2525', maxMesageSize: 10 } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /smtp\.maxMesageSize/);
  const r2 = await startGatewayExpectFailure({ delivery: { maxQueueTime: 'five days' } });
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /delivery\.maxQueueTime/);
});

test('outbound mail goes to the MX host found through the configured DNS server', async () => {
  const sink = await startSmtpSink();
  const dns = await startDnsServer({
    'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] },
    'mx.remote.test': { A: ['127.0.0.1'] },
  });
  const gw = await startGateway({
    config: {
      domains: ['example.test'],
      routes: { '*': 'mx' },
      dns: { servers: [dns.address], timeout: '2s' },
      delivery: { mxPort: sink.port },
    },
  });
  try {
    const r = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to: 'bob@remote.test', subject: 'via mx' });
    assert.equal(r.code, 0, r.stdout);
    const [m] = await sink.waitForCount(1, 15_000);
    assert.equal(m.subject, 'via mx');
    assert.deepEqual(m.recipients, ['bob@remote.test']);
    assert.ok(dns.queries.some((q) => q.name === 'remote.test' && q.type === 'MX'), 'MX asked of the test DNS server');
  } finally {
    await gw.dispose();
    await dns.stop();
    await sink.stop();
  }
});
