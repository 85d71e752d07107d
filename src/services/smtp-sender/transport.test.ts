// Delivery to a real smtp-server on loopback: pooling, per-recipient replies, session failures, limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createSmtpTransport, type SmtpTransport } from './transport.ts';
import { startMta, testConfig, testLogger, TEST_MESSAGE, type TestMta } from './test-peers.ts';

const config = testConfig({ delivery: { connectTimeout: '2s', concurrencyPerDestination: 2 } });
const body = () => Readable.from([Buffer.from(TEST_MESSAGE)]);

let mta: TestMta;
let transport: SmtpTransport;

before(async () => {
  mta = await startMta({
    rcpt: (a) => (a.startsWith('unknown') ? { code: 550, text: '5.1.1 user unknown' } : a.startsWith('full') ? { code: 452, text: '4.2.2 mailbox full' } : undefined),
    mail: (a) => (a === 'banned@origin.example.test' ? { code: 550, text: '5.7.1 sender refused' } : undefined),
  });
  transport = createSmtpTransport({ hostname: config.hostname, delivery: config.delivery, log: testLogger() });
});
after(async () => {
  await transport.close();
  await mta.close();
});

const at = () => ({ host: '127.0.0.1', port: mta.port, servername: 'mx.dest.example.test' });

test('several mails to one destination share pooled connections', async () => {
  const before = mta.connections;
  for (let i = 0; i < 5; i++) {
    const res = await transport.deliver({ destination: at(), from: 'alice@origin.example.test', to: [`bob${i}@dest.example.test`], openBody: body });
    assert.deepEqual(res.recipients.map((r) => r.status), ['delivered']);
    assert.match(res.recipients[0].response, /^250 /);
  }
  assert.ok(mta.connections - before < 5, `${mta.connections - before} connections for 5 mails`);
  assert.equal(mta.connections - before, 1);
  const last = mta.received.at(-1)!;
  assert.equal(last.from, 'alice@origin.example.test');
  assert.deepEqual(last.to, ['bob4@dest.example.test']);
  assert.equal(last.body.toString(), TEST_MESSAGE, 'the message arrives unchanged');
  assert.equal(last.secure, true, 'STARTTLS was used although the certificate is not trusted (opportunistic)');
});

test('per-recipient refusals: 5xx fails, 4xx defers, the others are delivered', async () => {
  const res = await transport.deliver({
    destination: at(),
    from: 'alice@origin.example.test',
    to: ['bob@dest.example.test', 'unknown@dest.example.test', 'full@dest.example.test'],
    openBody: body,
  });
  assert.equal(res.tryNext, false);
  assert.deepEqual(
    res.recipients.map((r) => [r.address, r.status, r.remote]),
    [
      ['bob@dest.example.test', 'delivered', true],
      ['unknown@dest.example.test', 'failed', true],
      ['full@dest.example.test', 'deferred', true],
    ],
  );
  assert.equal(res.recipients[1].response, '550 5.1.1 user unknown');
  assert.equal(res.recipients[2].response, '452 4.2.2 mailbox full');
  assert.deepEqual(mta.received.at(-1)!.to, ['bob@dest.example.test']);
});

test('every recipient refused: each keeps its own reply', async () => {
  const res = await transport.deliver({ destination: at(), from: 'alice@origin.example.test', to: ['unknown1@dest.example.test', 'full1@dest.example.test'], openBody: body });
  assert.deepEqual(res.recipients.map((r) => r.status), ['failed', 'deferred']);
  assert.equal(res.tryNext, false);
});

test('a 5xx to MAIL FROM fails every recipient; the null sender is sent as <>', async () => {
  const res = await transport.deliver({ destination: at(), from: 'banned@origin.example.test', to: ['bob@dest.example.test', 'carol@dest.example.test'], openBody: body });
  assert.deepEqual(res.recipients.map((r) => r.status), ['failed', 'failed']);
  assert.equal(res.recipients[0].response, '550 5.7.1 sender refused');

  const bounce = await transport.deliver({ destination: at(), from: '', to: ['bob@dest.example.test'], openBody: body });
  assert.equal(bounce.recipients[0].status, 'delivered');
  assert.equal(mta.received.at(-1)!.from, '');
});

test('a destination that refuses connections defers everyone and says to try the next host', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const res = await transport.deliver({ destination: { host: '127.0.0.1', port }, from: 'alice@origin.example.test', to: ['bob@dest.example.test'], openBody: body });
  assert.equal(res.tryNext, true);
  assert.equal(res.recipients[0].status, 'deferred');
  assert.equal(res.recipients[0].remote, false);
  assert.match(res.recipients[0].response, /^451 4\.4\.1 /);
});

test('a server that answers 421 at the greeting is a session failure: deferred, next host', async () => {
  const sock = createServer((s) => s.end('421 4.3.2 busy, try later\r\n'));
  await new Promise<void>((r) => sock.listen(0, '127.0.0.1', r));
  try {
    const res = await transport.deliver({ destination: { host: '127.0.0.1', port: (sock.address() as AddressInfo).port }, from: 'a@origin.example.test', to: ['bob@dest.example.test'], openBody: body });
    assert.equal(res.tryNext, true);
    assert.equal(res.recipients[0].status, 'deferred');
  } finally {
    await new Promise<void>((r) => sock.close(() => r()));
  }
});

test('a 5xx after the data fails every recipient and is not retried elsewhere', async () => {
  const picky = await startMta({ data: () => ({ code: 554, text: '5.6.0 message refused' }) });
  const t = createSmtpTransport({ hostname: config.hostname, delivery: config.delivery, log: testLogger() });
  try {
    const res = await t.deliver({ destination: { host: '127.0.0.1', port: picky.port }, from: 'a@origin.example.test', to: ['bob@dest.example.test'], openBody: body });
    assert.equal(res.tryNext, false);
    assert.equal(res.recipients[0].status, 'failed');
    assert.equal(res.recipients[0].response, '554 5.6.0 message refused');
  } finally {
    await t.close();
    await picky.close();
  }
});

test('concurrency per destination is bounded and idle pools are closed', async () => {
  const slow = await startMta();
  const t = createSmtpTransport({ hostname: config.hostname, delivery: config.delivery, log: testLogger(), idleTimeout: 200 });
  let open = 0;
  let maxOpen = 0;
  const tracked = () => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    const s = body();
    s.on('close', () => open--);
    return s;
  };
  try {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.deliver({ destination: { host: '127.0.0.1', port: slow.port }, from: 'a@origin.example.test', to: [`r${i}@dest.example.test`], openBody: tracked })),
    );
    assert.ok(results.every((r) => r.recipients[0].status === 'delivered'));
    assert.ok(maxOpen <= 2, `${maxOpen} bodies open at once`);
    assert.ok(slow.connections <= 2, `${slow.connections} connections`);
    assert.equal(t.openPools, 1);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(t.openPools, 0, 'the idle pool was closed');
  } finally {
    await t.close();
    await slow.close();
  }
});
