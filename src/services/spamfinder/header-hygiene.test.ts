// Header hygiene: forged X-Gatehouse-Spam* headers and Authentication-Results: naming our host go,
// folded or not, in whatever chunks the mail arrives; other sites' results, look-alikes in the
// body and every other byte stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderHygiene, authservId } from './header-hygiene.ts';

const HOST = 'gate.example.test';
const MAIL = [
  'Received: from x (x [198.51.100.7]) by mx.other.test',
  'X-Gatehouse-Spam: no; filter=none',
  'Authentication-Results: Gate.Example.Test; spf=pass smtp.mailfrom=a@b.test;',
  '  dkim=pass header.d=b.test',
  'Authentication-Results: mx.other.test; spf=fail',
  'X-Gatehouse-Spam-Score: -100',
  'Authentication-Results:',
  '\t(forged, with a comment (nested)) gate.example.test 1; dmarc=pass',
  'Subject: hello',
  'X-Gatehouse-Spammy: also ours by prefix',
  'From: a@b.test',
  '',
  'X-Gatehouse-Spam: yes in the body stays',
  'Authentication-Results: gate.example.test; body text stays',
  '',
].join('\r\n');

const EXPECTED = [
  'Received: from x (x [198.51.100.7]) by mx.other.test',
  'Authentication-Results: mx.other.test; spf=fail',
  'Subject: hello',
  'From: a@b.test',
  '',
  'X-Gatehouse-Spam: yes in the body stays',
  'Authentication-Results: gate.example.test; body text stays',
  '',
].join('\r\n');

test('forged verdict headers are removed, other sites results and the body kept', () => {
  const r = HeaderHygiene.clean(MAIL, HOST);
  assert.equal(r.text, EXPECTED);
  assert.deepEqual(r.removed, ['X-Gatehouse-Spam', 'Authentication-Results', 'X-Gatehouse-Spam-Score', 'Authentication-Results', 'X-Gatehouse-Spammy']);
});

test('the same result whatever the chunking, down to one byte at a time', () => {
  const raw = Buffer.from(MAIL, 'latin1');
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    const h = new HeaderHygiene(HOST);
    const out: Buffer[] = [];
    for (let i = 0; i < raw.length; i += size) out.push(h.push(raw.subarray(i, i + size)));
    out.push(h.end());
    assert.equal(Buffer.concat(out).toString('latin1'), EXPECTED, `chunks of ${size}`);
  }
});

test('a huge forged header is still removed; a huge ordinary one and a mail without a body pass whole', () => {
  const long = 'Authentication-Results: gate.example.test; ' + 'x'.repeat(100_000) + '\r\n\tmore=folded\r\n';
  const plain = 'X-Other: ' + 'y'.repeat(100_000) + '\r\n';
  const mail = long + plain + 'Subject: s\r\n\r\nbody\r\n';
  const h = new HeaderHygiene(HOST);
  const raw = Buffer.from(mail);
  const out: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 8192) out.push(h.push(raw.subarray(i, i + 8192)));
  out.push(h.end());
  assert.equal(Buffer.concat(out).toString(), plain + 'Subject: s\r\n\r\nbody\r\n');
  assert.equal(HeaderHygiene.clean('Subject: only a header\r\nX-Gatehouse-Spam: yes', HOST).text, 'Subject: only a header\r\n');
});

test('authservId reads the first token after comments', () => {
  assert.equal(authservId(' gate.example.test; spf=pass'), 'gate.example.test');
  assert.equal(authservId(' (c) Gate.Example.Test 1; none'), 'gate.example.test');
  assert.equal(authservId('\r\n\tgate.example.test;'), 'gate.example.test');
  assert.equal(authservId(' ;'), '');
});
