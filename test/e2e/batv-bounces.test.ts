// BATV end to end: outbound mail leaves with a prvs= signed return path (seen at the test's
// smtp-sink), a DSN to that signed address is accepted and delivered to the plain address, and a
// bounce without a valid tag (none, forged, another address's) is refused at RCPT with a 5xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

// scrypt hash of "s3cret" (as in smtp-receiver.test.ts)
const HASH = 'scrypt$16384$8$1$Olj7bpYwbgGe8jHgHMfOMA==$fnrZyvtEaSeZQevA72+/tNyDOW0qwCQQCmAEdJcpEHk=';
const PRVS = /^prvs=0\d{3}[0-9a-f]{6}=a@example\.test$/;

let sink: SmtpSink;
let gw: Gateway;
let peers: InboundGateway;

before(async () => {
  peers = await startInboundGateway({
    config: {
      smtp: { users: [{ user: 'alice', password: HASH }] },
      spamfinder: { batv: { enabled: true, validDays: 7 } },
    },
  });
  ({ sink, gw } = peers);
});

after(async () => {
  await peers?.dispose();
});

const arrived = (subject: string) => waitFor(async () => (await sink.messages()).find((x) => (x.subject ?? '').includes(subject)), { timeoutMs: 15_000, what: `"${subject}" at the sink` });

function dsn(to: string, subject: string): string {
  return [
    'From: MAILER-DAEMON@mx.remote.test',
    `To: ${to}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'Your mail could not be delivered.',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.remote.test',
    '',
    'Final-Recipient: rfc822; nobody@remote.test',
    'Action: failed',
    'Status: 5.1.1',
    '--b1--',
    '',
  ].join('\n');
}

let signed = '';

test('outbound mail from a local sender leaves with a BATV-signed return path', async () => {
  const out = await swaks({ server: gw.smtpAddress, from: 'a@example.test', to: 'partner@remote.test', subject: 'batv outbound one', tls: true, auth: { user: 'alice', password: 's3cret', type: 'PLAIN' } });
  assert.equal(out.code, 0, out.stdout);
  const m = await arrived('batv outbound one');
  assert.match(m.sender, PRVS);
  assert.deepEqual(m.recipients, ['partner@remote.test']);
  signed = m.sender;
});

test('a DSN to the signed return path is accepted and delivered to the plain address', async () => {
  assert.ok(signed, 'the first test ran');
  const r = await swaks({ server: gw.smtpAddress, from: '', to: signed, helo: 'mx.remote.test', data: dsn(signed, 'Undelivered Mail Returned to Sender batv-1') });
  assert.equal(r.code, 0, r.stdout);
  const got = await arrived('batv-1');
  assert.equal(got.sender, '');
  assert.deepEqual(got.recipients, ['a@example.test']);
});

test('a bounce without a valid BATV tag is refused at RCPT with 550 5.7.1', async () => {
  const none = await swaks({ server: gw.smtpAddress, from: '', to: 'a@example.test', helo: 'mx.remote.test', data: dsn('a@example.test', 'backscatter none') });
  assert.equal(none.code, 24, none.stdout);
  assert.match(none.lastReply ?? '', /^550 5\.7\.1 <a@example\.test>: Bounce refused: .*no BATV tag/);

  const forgedTag = signed.replace(/([0-9a-f])=a@/, (_, h: string) => `${h === '0' ? '1' : '0'}=a@`);
  assert.notEqual(forgedTag, signed);
  const forged = await swaks({ server: gw.smtpAddress, from: '', to: forgedTag, helo: 'mx.remote.test', data: dsn(forgedTag, 'backscatter forged') });
  assert.equal(forged.code, 24, forged.stdout);
  assert.match(forged.lastReply ?? '', /^550 5\.7\.1 .*Bounce refused: the BATV tag of this return path is not ours/);

  const otherUser = signed.replace('=a@', '=b@');
  const other = await swaks({ server: gw.smtpAddress, from: '', to: otherUser, helo: 'mx.remote.test', data: dsn(otherUser, 'backscatter other') });
  assert.equal(other.code, 24, other.stdout);
  assert.match(other.lastReply ?? '', /^550 5\.7\.1 .*not ours/);

  // Refused bounces are no address probing: many of them do not trip penetration defence (10 by default).
  const many = Array.from({ length: 12 }, (_, i) => `user${i}@example.test`);
  const storm = await swaks({ server: gw.smtpAddress, from: '', to: many, helo: 'mx.remote.test', quitAfter: 'RCPT' });
  const rcptReplies = storm.replies.filter((r) => r.command.startsWith('RCPT'));
  assert.equal(rcptReplies.length, 12, storm.stdout);
  assert.ok(rcptReplies.every((r) => r.code === 550), storm.stdout);

  // Mail with a sender is no bounce: not checked, delivered as usual.
  const normal = await swaks({ server: gw.smtpAddress, from: 'friend@remote.test', to: 'a@example.test', helo: 'mx.remote.test', subject: 'batv plain mail', body: 'Hello, lunch tomorrow?\n' });
  assert.equal(normal.code, 0, normal.stdout);
  await arrived('batv plain mail');
  assert.ok(!(await sink.messages()).some((m) => /backscatter/.test(m.subject ?? '')), 'no refused bounce was delivered');
});
