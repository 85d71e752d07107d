// Redelivery end to end: swaks sends over SMTP, smtp-sink is the next hop. An archived mail,
// redelivered through the CLI, arrives at the sink again for its original recipients (and, with
// --to, for another address), unchanged but for one header naming the archive id; the
// redelivery is in the compliance log; a mail that fails its integrity check is not redelivered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { archiveTamper } from '../../src/store/sqlite/tamper.ts';

let sink: SmtpSink;
let gw: Gateway;

const mail = (subject: string, body: string) =>
  ['From: Grace <grace@outside.test>', 'To: heidi@example.test, ivan@example.test', `Subject: ${subject}`, 'Date: Fri, 17 Jan 2025 09:00:00 +0000', `Message-ID: <${subject.replace(/\W/g, '')}@outside.test>`, '', body, ''].join('\r\n');

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({
    config: { hostname: 'gate.example.test', domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` } },
  });
  await waitFor(async () => (await gw.api('GET', '/api/v1/services/smtp-receiver')).json?.state === 'running', { what: 'smtp-receiver running' });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

async function archived(subject: string): Promise<string> {
  return waitFor(async () => {
    const r = await gw.api('GET', `/api/v1/archive/search?q=${encodeURIComponent(`subject:"${subject}"`)}`);
    return r.json?.messages?.[0]?.id as string | undefined;
  });
}

const copies = async (subject: string) => (await sink.messages()).filter((m) => m.subject === subject);

test('a redelivered mail arrives again for its original recipients, and with --to for another address', async () => {
  const subject = 'Signed lease agreement';
  const body = 'Both copies are signed; the keys are at the front desk.';
  const sent = await swaks({ server: gw.smtpAddress, from: 'grace@outside.test', to: 'heidi@example.test,ivan@example.test', data: mail(subject, body) });
  assert.equal(sent.code, 0, sent.stdout);
  const id = await archived(subject);
  await waitFor(async () => ((await copies(subject)).length === 1 ? true : undefined), { what: 'the first delivery' });

  const r = await gw.cli(['archive', 'redeliver', id]);
  assert.equal(r.code, 0, r.stderr);
  const mailId = new RegExp(`archived message ${id} queued for delivery as ([0-9a-z]{20}) to <heidi@example.test>, <ivan@example.test>`).exec(r.stdout)?.[1];
  assert.ok(mailId, r.stdout);
  const again = await waitFor(async () => {
    const c = await copies(subject);
    return c.length === 2 ? c[1] : undefined;
  });
  assert.deepEqual(again.recipients.sort(), ['heidi@example.test', 'ivan@example.test']);
  assert.equal(again.sender, '', 'null sender: a failure does not bounce to the original sender');
  assert.match(again.headers['x-gatehouse-redelivered']?.[0] ?? '', new RegExp(`^archive ${id}; by admin-api; `));
  assert.ok(again.raw.includes(mail(subject, body).replace(/\r\n/g, '\n')), 'the archived mail, whole');
  const tracked = await gw.api('GET', `/api/v1/mails/${mailId}`);
  assert.equal(tracked.json.queue, 'delivered');

  const to = await gw.cli(['archive', 'redeliver', id, '--to', 'judy@example.test', '--json']);
  assert.equal(to.code, 0, to.stderr);
  assert.deepEqual(JSON.parse(to.stdout).recipients, ['judy@example.test']);
  const third = await waitFor(async () => {
    const c = await copies(subject);
    return c.length === 3 ? c[2] : undefined;
  });
  assert.deepEqual(third.recipients, ['judy@example.test']);

  const log = (await gw.api('GET', '/api/v1/compliance?category=archive')).json.records.filter((x: { action: string }) => x.action === 'archive.redeliver');
  assert.deepEqual(
    log.map((x: { subject: string; detail: { recipients: string[] } }) => [x.subject, x.detail.recipients]),
    [
      [id, ['judy@example.test']],
      [id, ['heidi@example.test', 'ivan@example.test']],
    ],
  );
});

test('a mail that fails its integrity check is not redelivered; an unknown id is 404', async () => {
  const subject = 'Damaged minutes';
  const sent = await swaks({ server: gw.smtpAddress, from: 'grace@outside.test', to: 'heidi@example.test', data: mail(subject, 'Minutes of the board meeting.') });
  assert.equal(sent.code, 0, sent.stdout);
  const id = await archived(subject);
  archiveTamper(gw.dataDir).flipByte(id, 60);
  const r = await gw.api('POST', `/api/v1/archive/${id}/redeliver`, {});
  assert.equal(r.status, 500);
  assert.equal(r.json.code, 'ARCHIVE_INTEGRITY_FAILED');
  const missing = await gw.api('POST', '/api/v1/archive/NOSUCHID/redeliver', {});
  assert.equal(missing.status, 404);
  assert.equal(missing.json.code, 'ARCHIVE_NOT_FOUND');
  const log = (await gw.api('GET', '/api/v1/compliance?category=archive')).json.records;
  assert.ok(!log.some((x: { action: string; subject: string }) => x.action === 'archive.redeliver' && x.subject === id), 'nothing was redelivered');
  assert.equal((await copies(subject)).length, 1, 'only the first delivery');
});
