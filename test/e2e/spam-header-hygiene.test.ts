// Inbound header hygiene end to end: a sender from outside who writes X-Gatehouse-Spam* headers or
// an Authentication-Results: header in our name (folded, in any case) finds them gone at the
// internal server (the test's smtp-sink); our own Authentication-Results and mark header are there
// once, other sites' results stay. Our own side (SMTP AUTH) is trusted and left as it wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

// scrypt hash of "s3cret" (as in smtp-receiver.test.ts)
const HASH = 'scrypt$16384$8$1$Olj7bpYwbgGe8jHgHMfOMA==$fnrZyvtEaSeZQevA72+/tNyDOW0qwCQQCmAEdJcpEHk=';

let sink: SmtpSink;
let gw: Gateway;
let peers: InboundGateway;

before(async () => {
  peers = await startInboundGateway({
    zone: { 'outside.test': { TXT: ['v=spf1 -all'] } },
    config: {
      smtp: { users: [{ user: 'alice', password: HASH }] },
      spamfinder: { lists: { sbl: ['limited offer'] }, profiles: { default: { blocklist: 'mark' } } },
    },
  });
  ({ sink, gw } = peers);
});

after(async () => {
  await peers?.dispose();
});

const arrived = (subject: string) => waitFor(async () => (await sink.messages()).find((x) => (x.subject ?? '').includes(subject)), { timeoutMs: 15_000, what: `"${subject}" at the sink` });

function forged(subject: string): string {
  return [
    'From: x@outside.test',
    'To: a@example.test',
    `Subject: ${subject}`,
    'X-Gatehouse-Spam: no; filter=none',
    'X-GATEHOUSE-SPAM-Score: -50',
    'Authentication-Results: GATE.example.test; spf=pass smtp.mailfrom=x@outside.test;',
    '\tdkim=pass header.d=outside.test; dmarc=pass',
    'Authentication-Results: (looks real) gate.example.test 1; arc=pass',
    'Authentication-Results: mx.provider.test; spf=neutral',
    '',
    'Hello, a mail for you.',
    '',
  ].join('\n');
}

test('forged verdict headers from outside are gone at the internal server; ours and other sites results are there', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', helo: 'mx.outside.test', data: forged('hygiene one') });
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('hygiene one');
  assert.equal(m.headers['x-gatehouse-spam'], undefined);
  assert.equal(m.headers['x-gatehouse-spam-score'], undefined);
  const ar = m.headers['authentication-results'] ?? [];
  const ours = ar.filter((v) => /^\s*gate\.example\.test;/i.test(v));
  assert.equal(ours.length, 1, ar.join('\n'));
  assert.match(ours[0], /spf=fail/, 'our own result: the SPF record says -all');
  assert.ok(ar.some((v) => /^mx\.provider\.test; spf=neutral/.test(v)), 'another site’s result stays');
  assert.ok(!ar.some((v) => /looks real|header\.d=outside\.test/.test(v)));
});

test('a marked mail carries only our X-Gatehouse-Spam header', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', helo: 'mx.outside.test', data: forged('limited offer two') });
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('limited offer two');
  assert.deepEqual(m.headers['x-gatehouse-spam'], ['yes; filter=SBL; profile=default']);
  assert.equal(m.headers['x-gatehouse-spam-score'], undefined);
  assert.match(m.subject ?? '', /^\[SPAM\] limited offer two/);
});

test('mail from our own side (SMTP AUTH) keeps its headers', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'a@example.test', to: 'partner@remote.test', tls: true, auth: { user: 'alice', password: 's3cret', type: 'PLAIN' }, data: forged('hygiene three').replace('To: a@example.test', 'To: partner@remote.test') });
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('hygiene three');
  assert.deepEqual(m.headers['x-gatehouse-spam'], ['no; filter=none']);
});
