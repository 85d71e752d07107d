// Header hygiene in the spamfinder stage, for inbound mail that did not pass smtp-receiver (POP3):
// forged X-Gatehouse-Spam* and our Authentication-Results: are removed when the body goes on; our
// own mark header is the only one left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withStage } from './stage-harness.ts';

const forged = (subject: string) =>
  [
    'Authentication-Results: gate.example.test; spf=pass smtp.mailfrom=x@y.test',
    'X-Gatehouse-Spam: no',
    'Authentication-Results: mx.provider.test; spf=neutral',
    'From: x@y.test',
    'To: a@example.test',
    `Subject: ${subject}`,
    '',
    'Hello there.',
    '',
  ].join('\r\n');

test('POP3 mail loses forged verdict headers on its way on; clean mail keeps its body untouched', async () => {
  await withStage(async ({ run }) => {
    const r = await run('x@y.test', ['a@example.test'], '', { source: 'pop3', raw: forged('fetched') });
    assert.equal(r.queue, 'advance');
    assert.doesNotMatch(r.body, /X-Gatehouse-Spam/i);
    assert.doesNotMatch(r.body, /Authentication-Results: gate\.example\.test/);
    assert.match(r.body, /^Authentication-Results: mx\.provider\.test; spf=neutral\r\nFrom: x@y\.test\r\n/m);
    const plain = 'From: x@y.test\r\nSubject: plain\r\n\r\nHi.\r\n';
    assert.equal((await run('x@y.test', ['a@example.test'], '', { source: 'pop3', raw: plain })).body, plain);
  });
});

test('a marked POP3 mail carries only our own X-Gatehouse-Spam header', async () => {
  await withStage(
    async ({ run }) => {
      const r = await run('x@y.test', ['a@example.test'], '', { source: 'pop3', raw: forged('cheap pills today') });
      assert.equal(r.verdict.filter, 'SBL');
      assert.deepEqual(r.body.match(/^X-Gatehouse-Spam:.*$/gim), ['X-Gatehouse-Spam: yes; filter=SBL; profile=default']);
      assert.match(r.body, /^Subject: \[SPAM\] cheap pills today/m);
    },
    { lists: { sbl: ['cheap pills'] }, profiles: { default: { blocklist: 'mark' } } },
  );
});
