// The deliver stage end to end on loopback (smtp-server MTA + dns-packet DNS): results, retries, DSNs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { GeneratedMail, StageResult } from '../../core/mail.ts';
import { createDeliverStage, type DeliverStage } from './deliver-stage.ts';
import { startDns, startMta, testConfig, testLogger, fakeMail as anyMail, fakeContext, type TestDns, type TestMta } from './test-peers.ts';

const NOW = Date.UTC(2030, 0, 10, 12, 0, 0);
const HOUR = 3_600_000;
const ALICE = 'alice@origin.example.test';
/** A claimed mail that arrived at NOW unless told otherwise. */
const fakeMail = (o: Parameters<typeof anyMail>[0]) => anyMail({ receivedAt: NOW, ...o });

let mta: TestMta;
let dns: TestDns;
let deadPort: number;
let stage: DeliverStage;
let log: ReturnType<typeof testLogger>;

before(async () => {
  mta = await startMta({
    rcpt: (a) => (a.startsWith('unknown') ? { code: 550, text: '5.1.1 user unknown' } : a.startsWith('full') ? { code: 452, text: '4.2.2 mailbox full' } : undefined),
  });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  dns = await startDns({
    'dest.example.test': {
      MX: [
        { exchange: 'mx2.dest.example.test', preference: 20 },
        { exchange: 'mx1.dest.example.test', preference: 10 },
      ],
    },
    'mx1.dest.example.test': { A: ['127.0.0.1'] },
    'mx2.dest.example.test': { A: ['127.0.0.1'] },
    'nullmx.example.test': { MX: [{ exchange: '.', preference: 0 }] },
  });
  log = testLogger();
  stage = createDeliverStage({
    config: testConfig({
      routes: { 'relayed.example.test': `smtp://127.0.0.1:${mta.port}`, '*.example.test': 'mx' },
      dns: { servers: [dns.server], timeout: '2s' },
      delivery: { connectTimeout: '2s', retryInitial: '60s', retryMax: '1h', delayNotice: '4h', maxQueueTime: '5d' },
    }),
    log,
    now: () => NOW,
    // mx1 (preferred) is down; mx2 is the test MTA.
    mxPort: (exchange) => (exchange === 'mx1.dest.example.test' ? deadPort : mta.port),
  });
});

after(async () => {
  await stage.close();
  await mta.close();
  await dns.close();
});

function parseDsn(g: GeneratedMail): Promise<ParsedMail> {
  return simpleParser(g.body, { keepDeliveryStatus: true } as Parameters<typeof simpleParser>[1]);
}

function recipientFields(mail: ParsedMail): Record<string, string>[] {
  const part = mail.attachments.find((a) => a.contentType === 'message/delivery-status');
  assert.ok(part, 'has a delivery-status part');
  return part.content
    .toString()
    .replace(/\r\n[ \t]+/g, ' ')
    .trim()
    .split(/\r\n\r\n/)
    .slice(1)
    .map((b) => Object.fromEntries(b.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])));
}

function statuses(r: StageResult): string[] {
  return r.envelope!.recipients.map((x) => `${x.address} ${x.status}`);
}

test('relay delivery: every mail delivered, connections reused across mails', async () => {
  const before = mta.connections;
  for (let i = 0; i < 4; i++) {
    const r = await stage.process(fakeMail({ sender: ALICE, recipients: [`bob${i}@relayed.example.test`], receivedAt: NOW - 1000 }), fakeContext());
    assert.deepEqual(r.outcome, { kind: 'finish', state: 'delivered', reason: 'delivered to 1 recipient(s)' });
    assert.equal(r.envelope!.recipients[0].status, 'delivered');
    assert.match(r.envelope!.recipients[0].response ?? '', /^250 /);
    assert.equal(r.generated, undefined);
  }
  assert.ok(mta.connections - before < 4, `${mta.connections - before} connections for 4 mails`);
});

test('MX delivery goes to the next MX when the preferred one cannot be reached', async () => {
  const r = await stage.process(fakeMail({ sender: ALICE, recipients: ['carol@dest.example.test'] }), fakeContext(undefined, log));
  assert.equal(r.outcome.kind, 'finish');
  assert.deepEqual(statuses(r), ['carol@dest.example.test delivered']);
  assert.deepEqual(mta.received.at(-1)!.to, ['carol@dest.example.test']);
  const tried = log.records.filter((x) => x.msg.startsWith('delivery to mx:dest.example.test')).map((x) => x.msg);
  assert.match(tried.at(-2)!, /via mx1\.dest\.example\.test/);
  assert.match(tried.at(-1)!, /via mx2\.dest\.example\.test/);
});

test('partial rejection: delivered, with a DSN for the rejected recipient only', async () => {
  const mail = fakeMail({ sender: ALICE, recipients: ['bob@relayed.example.test', 'unknown@relayed.example.test'], receivedAt: NOW - 60_000 });
  const r = await stage.process(mail, fakeContext());
  assert.equal(r.outcome.kind, 'finish');
  assert.equal(r.outcome.kind === 'finish' && r.outcome.state, 'delivered');
  assert.match(r.outcome.kind === 'finish' ? r.outcome.reason : '', /partial failure/);
  assert.deepEqual(statuses(r), ['bob@relayed.example.test delivered', 'unknown@relayed.example.test failed']);
  assert.equal(r.envelope!.recipients[1].response, '550 5.1.1 user unknown');
  assert.equal(mail.envelope.recipients[1].status, 'pending', 'the claimed mail itself is not modified');

  assert.equal(r.generated?.length, 1);
  const dsn = r.generated![0];
  assert.deepEqual(dsn.envelope.recipients.map((x) => x.address), [ALICE]);
  assert.equal(dsn.envelope.sender, '');
  assert.equal(dsn.envelope.source, 'bounce');
  assert.equal(dsn.envelope.direction, 'outbound');
  const parsed = await parseDsn(dsn);
  const [rcpt, ...others] = recipientFields(parsed);
  assert.equal(others.length, 0);
  assert.equal(rcpt['final-recipient'], 'rfc822; unknown@relayed.example.test');
  assert.equal(rcpt.action, 'failed');
  assert.equal(rcpt.status, '5.1.1');
  assert.equal(rcpt['diagnostic-code'], 'smtp; 550 5.1.1 user unknown');
  assert.equal(rcpt['remote-mta'], 'dns; 127.0.0.1');
  const original = parsed.attachments.find((a) => a.contentType === 'message/rfc822');
  assert.match(original!.content.toString(), /^Message-ID: <test-1@origin\.example\.test>/m);
});

test('a 4xx defers the recipient with backoff; delivered recipients are not tried again', async () => {
  const received = mta.received.length;
  const mail = fakeMail({
    sender: ALICE,
    recipients: [{ address: 'bob@relayed.example.test', status: 'delivered', response: '250 ok' }, 'full@relayed.example.test'],
    receivedAt: NOW - HOUR,
    attempts: 2,
  });
  const r = await stage.process(mail, fakeContext());
  assert.equal(r.outcome.kind, 'defer');
  // attempt 3: 60 s * 2^2 = 240 s, ±10 %
  const wait = r.outcome.kind === 'defer' ? r.outcome.until - NOW : 0;
  assert.ok(wait >= 216_000 && wait <= 264_000, `waits ${wait} ms`);
  assert.deepEqual(statuses(r), ['bob@relayed.example.test delivered', 'full@relayed.example.test deferred']);
  assert.equal(r.envelope!.recipients[1].response, '452 4.2.2 mailbox full');
  assert.equal(r.generated, undefined);
  assert.equal(r.delayNotified, undefined);
  assert.equal(mta.received.length, received, 'nothing was accepted');
});

test('past maxQueueTime a deferred recipient fails with 4.4.7 and the sender gets a bounce', async () => {
  const r = await stage.process(fakeMail({ sender: ALICE, recipients: ['full@relayed.example.test'], receivedAt: NOW - 6 * 24 * HOUR, delayNotified: true }), fakeContext());
  assert.deepEqual(r.outcome.kind === 'finish' && r.outcome.state, 'bounced');
  assert.deepEqual(statuses(r), ['full@relayed.example.test failed']);
  assert.match(r.envelope!.recipients[0].response ?? '', /^4\.4\.7 delivery time expired; last response: 452 4\.2\.2 mailbox full/);
  const parsed = await parseDsn(r.generated![0]);
  const [rcpt] = recipientFields(parsed);
  assert.equal(rcpt.action, 'failed');
  assert.equal(rcpt.status, '4.4.7');
  assert.equal(rcpt['diagnostic-code'], 'smtp; 452 4.2.2 mailbox full');
  assert.match(parsed.text ?? '', /delivery time expired/);
});

test('a delay notice goes out once, after delayNotice', async () => {
  const first = await stage.process(fakeMail({ sender: ALICE, recipients: ['full@relayed.example.test'], receivedAt: NOW - 5 * HOUR }), fakeContext());
  assert.equal(first.outcome.kind, 'defer');
  assert.equal(first.delayNotified, true);
  assert.equal(first.generated?.length, 1);
  const parsed = await parseDsn(first.generated![0]);
  assert.match(parsed.subject ?? '', /Delayed/);
  assert.match(parsed.text ?? '', /keep trying until Tue, 15 Jan 2030 07:00:00 \+0000/);
  const [rcpt] = recipientFields(parsed);
  assert.equal(rcpt.action, 'delayed');
  assert.equal(rcpt.status, '4.2.2');
  assert.equal(rcpt['will-retry-until'], 'Tue, 15 Jan 2030 07:00:00 +0000');

  const again = await stage.process(fakeMail({ sender: ALICE, recipients: ['full@relayed.example.test'], receivedAt: NOW - 6 * HOUR, delayNotified: true }), fakeContext());
  assert.equal(again.outcome.kind, 'defer');
  assert.equal(again.generated, undefined);
  assert.equal(again.delayNotified, undefined);
});

test('the null sender is never bounced nor warned', async () => {
  const failed = await stage.process(fakeMail({ sender: '', recipients: ['unknown@relayed.example.test'] }), fakeContext(undefined, log));
  assert.equal(failed.outcome.kind === 'finish' && failed.outcome.state, 'bounced');
  assert.equal(failed.generated, undefined);
  assert.ok(log.records.some((x) => /null sender/.test(x.msg)), 'logged why there is no DSN');

  const late = await stage.process(fakeMail({ sender: '', recipients: ['full@relayed.example.test'], receivedAt: NOW - 5 * HOUR }), fakeContext());
  assert.equal(late.outcome.kind, 'defer');
  assert.equal(late.generated, undefined);
  assert.equal(late.delayNotified, undefined);

  const expired = await stage.process(fakeMail({ sender: '', recipients: ['full@relayed.example.test'], receivedAt: NOW - 6 * 24 * HOUR }), fakeContext());
  assert.equal(expired.outcome.kind === 'finish' && expired.outcome.state, 'bounced');
  assert.equal(expired.generated, undefined);
});

test('no route and a null MX fail at once, without a connection, explained as local errors', async () => {
  const connections = mta.connections;
  const r = await stage.process(fakeMail({ sender: ALICE, recipients: ['x@elsewhere.test', 'y@nullmx.example.test'] }), fakeContext());
  assert.equal(r.outcome.kind === 'finish' && r.outcome.state, 'bounced');
  assert.deepEqual(statuses(r), ['x@elsewhere.test failed', 'y@nullmx.example.test failed']);
  assert.equal(mta.connections, connections);
  const fields = recipientFields(await parseDsn(r.generated![0]));
  assert.equal(fields[0].status, '5.4.4');
  assert.match(fields[0]['diagnostic-code'], /^X-Gatehouse; 554 5\.4\.4 no route/);
  assert.equal(fields[1].status, '5.1.10');
  assert.equal(fields[1]['remote-mta'], undefined);
});

test('NOTIFY=NEVER asks for no DSN', async () => {
  const r = await stage.process(fakeMail({ sender: ALICE, recipients: [{ address: 'unknown@relayed.example.test', status: 'pending', notify: ['NEVER'] }] }), fakeContext());
  assert.equal(r.outcome.kind === 'finish' && r.outcome.state, 'bounced');
  assert.equal(r.generated, undefined);
});

test('a DNS timeout defers the mail', async () => {
  const silent = await startDns({}, { silent: true });
  const s = createDeliverStage({
    config: testConfig({ routes: { '*': 'mx' }, dns: { servers: [silent.server], timeout: '300ms' } }),
    log: testLogger(),
    now: () => NOW,
  });
  try {
    const r = await s.process(fakeMail({ sender: ALICE, recipients: ['bob@dest.example.test'] }), fakeContext());
    assert.equal(r.outcome.kind, 'defer');
    assert.deepEqual(statuses(r), ['bob@dest.example.test deferred']);
    assert.match(r.envelope!.recipients[0].response ?? '', /^451 4\.4\.3 .*timed out/);
  } finally {
    await s.close();
    await silent.close();
  }
});

test('a stage stopping mid-delivery defers for an immediate retry instead of losing statuses', async () => {
  const ac = new AbortController();
  ac.abort(new Error('stage stopping'));
  const r = await stage.process(fakeMail({ sender: ALICE, recipients: ['bob@relayed.example.test'] }), fakeContext(undefined, undefined, ac.signal));
  assert.deepEqual(r.outcome, { kind: 'defer', until: NOW, reason: 'delivery interrupted, retried on restart' });
  assert.deepEqual(statuses(r), ['bob@relayed.example.test deferred']);
});
