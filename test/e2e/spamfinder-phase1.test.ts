// Phase-1 connection filters through real SMTP: swaks as a stranger (trustedNetworks does not hold
// 127.0.0.0/8, and swaks binds 127.0.0.x source addresses), the loopback DNS server serving the
// blocklist zone and SPF/DMARC records, smtp-sink as the next hop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import type { DnsServer } from '../helpers/dns-server.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let dns: DnsServer;
let gw: Gateway;
let peers: InboundGateway;

before(async () => {
  peers = await startInboundGateway({
    zone: {
      // 127.0.0.2 is listed; 127.0.0.3's lookup never answers; 198.51.100.7 is a listed relay.
      '2.0.0.127.rbl.test': { A: ['127.0.0.2'] },
      '3.0.0.127.rbl.test': { drop: true },
      '7.100.51.198.rbl.test': { A: ['127.0.0.4'] },
      'spf-fail.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
      'spf-pass.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
      'dmarc-reject.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
      '_dmarc.dmarc-reject.test': { TXT: ['v=DMARC1; p=reject'] },
    },
    dnsTimeout: '1s',
    config: {
      smtp: { recipients: ['a@example.test', 'b@example.test'] },
      spamfinder: { rbl: { lists: ['rbl.test'] }, penetration: { maxInvalidRecipients: 3, blockTime: '10m' } },
    },
  });
  ({ sink, gw, dns } = peers);
});

after(async () => {
  await peers?.dispose();
});

const from = (ip: string) => ['--local-interface', ip];
const queuedId = (out: string) => /queued as ([0-9a-z]{20})/.exec(out)?.[1];

test('a client listed at the RBL is refused with 554 at MAIL FROM; an unlisted one is accepted', async () => {
  const listed = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', extraArgs: from('127.0.0.2') });
  assert.match(listed.stdout, /554 5\.7\.1 .*blocked using rbl\.test/);
  assert.ok(dns.queries.some((q) => q.name.toLowerCase() === '2.0.0.127.rbl.test'));
  const clean = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', subject: 'unlisted', extraArgs: from('127.0.0.1') });
  assert.equal(clean.code, 0, clean.stdout);
});

test('a blocklist lookup that times out answers 451 4.4.3, never a silent pass', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', extraArgs: from('127.0.0.3') });
  assert.match(r.stdout, /451 4\.4\.3 Blocklist lookup for 127\.0\.0\.3 timed out/);
  assert.equal(queuedId(r.stdout), undefined);
});

test('a relay in Received: listed at the RBL (ARBL) refuses the message at end of DATA', async () => {
  const data = [
    'Received: from relay.bad.test (relay.bad.test [198.51.100.7]) by mx.outside.test; Sat, 28 Nov 2026 10:00:00 +0000',
    'From: x@outside.test',
    'To: a@example.test',
    'Subject: via a listed relay',
    '',
    'hello',
  ].join('\r\n');
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', data });
  assert.match(r.stdout, /554 5\.7\.1 Message refused: relay 198\.51\.100\.7 in Received: is listed at rbl\.test/);
});

test('SPF fail is recorded in Authentication-Results: and in envelope.meta for phase 2', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'someone@spf-fail.test', to: 'a@example.test', subject: 'spf fail' });
  assert.equal(r.code, 0, r.stdout);
  const m = await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'spf fail'), { timeoutMs: 15_000 });
  const ar = m.headers['authentication-results']?.join('\n') ?? '';
  assert.match(ar, /gate\.example\.test/);
  assert.match(ar, /spf=fail/);
  assert.match(m.headers['received-spf']?.[0] ?? '', /^fail/);
  const id = queuedId(r.stdout)!;
  const mail = (await gw.api('GET', `/api/v1/mails/${id}`)).json;
  assert.equal(mail.envelope.meta.auth.spf, 'fail');
  assert.equal(mail.envelope.meta.auth.spfDomain, 'spf-fail.test');

  const ok = await swaks({ server: gw.smtpAddress, from: 'someone@spf-pass.test', to: 'a@example.test', subject: 'spf pass' });
  const okId = queuedId(ok.stdout)!;
  assert.equal((await gw.api('GET', `/api/v1/mails/${okId}`)).json.envelope.meta.auth.spf, 'pass');
});

test('DMARC fail under p=reject is refused with 550 5.7.1', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'ceo@dmarc-reject.test', to: 'a@example.test', subject: 'dmarc' });
  assert.match(r.stdout, /550 5\.7\.1 Message refused: DMARC policy of dmarc-reject\.test says reject/);
});

test('a local sender domain from an untrusted, unauthenticated client is refused (anti-spoofing)', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'boss@example.test', to: 'a@example.test' });
  assert.match(r.stdout, /550 5\.7\.1 <boss@example\.test>: Sender address rejected/);
});

test('penetration defence: too many invalid recipients disconnect the client and block its IP', async () => {
  const probe = await swaks({
    server: gw.smtpAddress,
    from: 'x@outside.test',
    to: ['nobody1@example.test', 'nobody2@example.test', 'nobody3@example.test', 'a@example.test'],
    extraArgs: from('127.0.0.4'),
  });
  assert.match(probe.stdout, /550 5\.1\.1 <nobody1@example\.test>/);
  assert.match(probe.stdout, /421 4\.7\.0 Too many invalid recipients from 127\.0\.0\.4/);
  const again = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', extraArgs: from('127.0.0.4') });
  assert.match(again.stdout, /554 5\.7\.1 Client 127\.0\.0\.4 is blocked/);
  // Another client is not affected.
  const other = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'b@example.test', extraArgs: from('127.0.0.1') });
  assert.equal(other.code, 0, other.stdout);
});

test('a mail larger than the first body write still gets its Authentication-Results: (added by the spamfinder stage)', async () => {
  const body = Array.from({ length: 4000 }, (_, i) => `line ${i} of a long report, padded to make the mail large enough`).join('\n');
  const r = await swaks({ server: gw.smtpAddress, from: 'someone@spf-fail.test', to: 'a@example.test', subject: 'large spf fail', body });
  assert.equal(r.code, 0, r.stdout);
  const m = await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'large spf fail'), { timeoutMs: 15_000 });
  assert.ok(m.raw.length > 200_000);
  assert.match(m.headers['authentication-results']?.join('\n') ?? '', /spf=fail/);
  assert.equal(m.headers['authentication-results']?.length, 1);
  const mail = (await gw.api('GET', `/api/v1/mails/${queuedId(r.stdout)}`)).json;
  assert.equal(mail.envelope.meta.pendingHeaders, undefined);
  assert.equal(mail.envelope.meta.auth.spf, 'fail');
});
