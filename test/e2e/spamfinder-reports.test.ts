// Quarantine reports end to end: a blocked mail is held, the report goes to the recipient through
// smtp-sink, its signed link is followed over HTTP (GET shows, POST releases) and the original
// arrives; a tampered or used link releases nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { freePort } from '../helpers/ports.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let gw: Gateway;
let releasePort: number;

before(async () => {
  sink = await startSmtpSink();
  releasePort = await freePort();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { '*': `smtp://${sink.address}` },
      spamfinder: {
        lists: { abl: ['*@blocked.test'] },
        reports: { enabled: true, times: ['00:00'] },
        links: { listen: `127.0.0.1:${releasePort}`, url: `http://127.0.0.1:${releasePort}` },
      },
    },
  });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

test('a report lists held spam with a release link; following it (GET, then POST) delivers the mail once', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'promo@blocked.test', to: 'a@example.test', subject: 'held for the report' });
  assert.equal(r.code, 0, r.stdout);
  const id = /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
  await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === 'quarantine:spam', { timeoutMs: 15_000 });

  const sent = await gw.cli(['quarantine', 'send-reports']);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /sent 1 report\(s\) covering 1 held mail/);
  const report = await waitFor(async () => (await sink.messages()).find((m) => /^Quarantine report/.test(m.subject ?? '')), { timeoutMs: 15_000 });
  assert.deepEqual(report.recipients, ['a@example.test']);
  assert.equal(report.sender, '');
  const text = (await report.parse()).text ?? '';
  assert.match(text, /held for the report/);
  assert.match(text, /Caught by: ABL/);
  const link = /Release: (http:\/\/\S+)/.exec(text)![1];

  const shown = await fetch(link);
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /<form method="post"/);
  assert.equal((await gw.api('GET', `/api/v1/mails/${id}`)).json.queue, 'quarantine:spam', 'GET alone releases nothing');

  const token = new URL(link).searchParams.get('t')!;
  const tampered = await fetch(`http://127.0.0.1:${releasePort}/quarantine/release`, { method: 'POST', body: new URLSearchParams({ t: token.slice(0, -2) + 'xx' }) });
  assert.equal(tampered.status, 410);

  const released = await fetch(`http://127.0.0.1:${releasePort}/quarantine/release`, { method: 'POST', body: new URLSearchParams({ t: token }) });
  assert.equal(released.status, 200, await released.text());
  const got = await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'held for the report'), { timeoutMs: 15_000 });
  assert.deepEqual(got.recipients, ['a@example.test']);
  const mail = (await gw.api('GET', `/api/v1/mails/${id}`)).json;
  assert.ok(mail.events.some((e: { event: string; actor: string }) => e.event === 'released' && e.actor === 'report-link:a@example.test'));

  const again = await fetch(`http://127.0.0.1:${releasePort}/quarantine/release`, { method: 'POST', body: new URLSearchParams({ t: token }) });
  assert.equal(again.status, 410, 'a used link releases nothing');
  const none = await gw.cli(['quarantine', 'send-reports']);
  assert.match(none.stdout, /sent 0 report\(s\)/, 'a mail is reported once');
});
