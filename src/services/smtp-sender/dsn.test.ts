// DSN structure, parsed back with mailparser: report part, delivery-status fields, original or its headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { buildDsn, type DsnInput } from './dsn.ts';
import { readOriginal, DSN_FULL_LIMIT } from './original.ts';
import { TEST_MESSAGE } from './test-peers.ts';

const NOW = Date.UTC(2030, 0, 2, 12, 0, 0);

function input(over: Partial<DsnInput> = {}): DsnInput {
  return {
    hostname: 'gw.example.test',
    sender: 'alice@origin.example.test',
    arrivalDate: NOW - 3_600_000,
    now: NOW,
    mailId: 'testmail000000000001',
    original: { content: Buffer.from(TEST_MESSAGE), headersOnly: false },
    recipients: [
      {
        address: 'bob@dest.example.test',
        orcpt: 'rfc822;Bob+2Bx@dest.example.test',
        action: 'failed',
        status: '5.1.1',
        diagnostic: '550 5.1.1 <bob@dest.example.test>: user unknown',
        remoteMta: 'mx1.dest.example.test',
        lastAttempt: NOW,
      },
    ],
    ...over,
  };
}

/** Parses a DSN, keeping the delivery-status part as an attachment. */
function parse(body: Buffer): Promise<ParsedMail> {
  return simpleParser(body, { keepDeliveryStatus: true } as Parameters<typeof simpleParser>[1]);
}

/** The status fields of a message/delivery-status body: the per-message block, then one per recipient. */
function statusBlocks(text: string): Record<string, string>[] {
  return text
    .replace(/\r\n[ \t]+/g, ' ')
    .trim()
    .split(/\r\n\r\n/)
    .map((block) => Object.fromEntries(block.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])));
}

test('a bounce is a multipart/report with a notice, the delivery status and the original message', async () => {
  const dsn = buildDsn(input());
  assert.deepEqual(dsn.envelope, {
    sender: '',
    recipients: [{ address: 'alice@origin.example.test', status: 'pending' }],
    direction: 'outbound',
    source: 'bounce',
    meta: { dsnFor: 'testmail000000000001' },
  });
  const text = dsn.body.toString('latin1');
  assert.ok(!/[^\r]\n/.test(text), 'every line ends in CRLF');
  assert.match(text, /^Content-Type: multipart\/report; report-type=delivery-status;/m);

  const mail = await parse(dsn.body);
  assert.equal(mail.from?.value[0].address, 'MAILER-DAEMON@gw.example.test');
  assert.equal((mail.to as { value: { address: string }[] }).value[0].address, 'alice@origin.example.test');
  assert.equal(mail.headers.get('auto-submitted'), 'auto-replied');
  assert.match(mail.messageId ?? '', /@gw\.example\.test>$/);
  assert.equal(mail.date?.getTime(), NOW);
  assert.match(mail.subject ?? '', /Undelivered/);
  assert.match(mail.text ?? '', /bob@dest\.example\.test.*user unknown/);

  const status = mail.attachments.find((a) => a.contentType === 'message/delivery-status');
  assert.ok(status, 'has a message/delivery-status part');
  const [msg, rcpt] = statusBlocks(status.content.toString());
  assert.equal(msg['reporting-mta'], 'dns; gw.example.test');
  assert.equal(msg['arrival-date'], 'Wed, 02 Jan 2030 11:00:00 +0000');
  assert.equal(rcpt['final-recipient'], 'rfc822; bob@dest.example.test');
  assert.equal(rcpt['original-recipient'], 'rfc822; Bob+x@dest.example.test');
  assert.equal(rcpt.action, 'failed');
  assert.equal(rcpt.status, '5.1.1');
  assert.equal(rcpt['remote-mta'], 'dns; mx1.dest.example.test');
  assert.equal(rcpt['diagnostic-code'], 'smtp; 550 5.1.1 <bob@dest.example.test>: user unknown');

  const original = mail.attachments.find((a) => a.contentType === 'message/rfc822');
  assert.ok(original, 'has the original as message/rfc822');
  const inner = await simpleParser(original.content);
  assert.equal(inner.messageId, '<test-1@origin.example.test>');
  assert.equal(inner.subject, 'Test message');
  assert.match(inner.text ?? '', /this is the body/);
});

test('RET=HDRS and originals over 256 KiB come back as text/rfc822-headers', async () => {
  for (const over of [{ ret: 'HDRS' as const }, { original: { content: Buffer.from(TEST_MESSAGE + 'x'.repeat(DSN_FULL_LIMIT)), headersOnly: false } }]) {
    const mail = await parse(buildDsn(input(over)).body);
    assert.equal(mail.attachments.find((a) => a.contentType === 'message/rfc822'), undefined);
    const headers = mail.attachments.find((a) => a.contentType === 'text/rfc822-headers');
    assert.ok(headers, 'has text/rfc822-headers');
    const text = headers.content.toString();
    assert.match(text, /^Message-ID: <test-1@origin\.example\.test>$/m);
    assert.doesNotMatch(text, /this is the body/);
  }
});

test('readOriginal keeps a small mail whole and stops reading a big one after its headers', async () => {
  const small = await readOriginal(Readable.from([Buffer.from(TEST_MESSAGE)]), {});
  assert.deepEqual(small, { content: Buffer.from(TEST_MESSAGE), headersOnly: false });

  let served = 0;
  const big = new Readable({
    read() {
      served++;
      this.push(served === 1 ? Buffer.from(TEST_MESSAGE) : served < 10_000 ? Buffer.alloc(64 * 1024, 'x') : null);
    },
  });
  const res = await readOriginal(big, { size: 600_000_000 });
  assert.equal(res.headersOnly, true);
  assert.match(res.content.toString(), /Subject: Test message\r\n[\s\S]*Content-Type: text\/plain; charset=us-ascii\r\n$/);
  assert.ok(served < 5, `read ${served} chunks`);

  const hdrs = await readOriginal(Readable.from([Buffer.from(TEST_MESSAGE)]), { ret: 'HDRS' });
  assert.equal(hdrs.headersOnly, true);
  assert.doesNotMatch(hdrs.content.toString(), /body/);
});

test('a delay notice says delayed and until when it keeps trying', async () => {
  const until = NOW + 4 * 86_400_000;
  const dsn = buildDsn(
    input({
      retryUntil: until,
      recipients: [{ address: 'bob@dest.example.test', action: 'delayed', status: '4.2.2', diagnostic: '452 4.2.2 mailbox full', remoteMta: 'mx1.dest.example.test' }],
    }),
  );
  const mail = await parse(dsn.body);
  assert.match(mail.subject ?? '', /Delayed/);
  assert.match(mail.text ?? '', /keep trying until Sun, 06 Jan 2030 12:00:00 \+0000/);
  const [, rcpt] = statusBlocks(mail.attachments.find((a) => a.contentType === 'message/delivery-status')!.content.toString());
  assert.equal(rcpt.action, 'delayed');
  assert.equal(rcpt.status, '4.2.2');
  assert.equal(rcpt['will-retry-until'], 'Sun, 06 Jan 2030 12:00:00 +0000');
  assert.equal(rcpt['original-recipient'], undefined, 'no ORCPT given, no Original-Recipient (RFC 3464 2.3.1)');
});

test('local failures are explained without claiming an SMTP reply; non-ASCII text is quoted-printable', async () => {
  const dsn = buildDsn(input({ recipients: [{ address: 'bob@dest.example.test', action: 'failed', status: '5.4.4', reason: '554 5.4.4 no route to dest.example.test — café' }] }));
  const mail = await parse(dsn.body);
  assert.match(mail.text ?? '', /no route to dest\.example\.test — café/);
  const [, rcpt] = statusBlocks(mail.attachments.find((a) => a.contentType === 'message/delivery-status')!.content.toString());
  assert.match(rcpt['diagnostic-code'], /^X-Gatehouse; 554 5\.4\.4 no route/);
  assert.equal(rcpt['remote-mta'], undefined);
  assert.ok(dsn.body.subarray(0, dsn.body.indexOf('message/delivery-status')).every((b) => b < 0x80), 'the notice is 7bit-clean');
});

test('long diagnostic codes are folded below 78 columns', () => {
  const long = '550 5.7.1 ' + 'rejected because of policy reasons '.repeat(10);
  const text = buildDsn(input({ recipients: [{ address: 'bob@dest.example.test', action: 'failed', status: '5.7.1', diagnostic: long }] })).body.toString();
  const part = text.slice(text.indexOf('Final-Recipient'), text.indexOf('--=_gatehouse', text.indexOf('Final-Recipient')));
  for (const line of part.split('\r\n')) assert.ok(line.length <= 78, line);
});

test('never a DSN for the null sender', () => {
  assert.throws(() => buildDsn(input({ sender: '' })), /null sender/);
});
