// Zip export end to end: mail sent over SMTP (swaks, smtp-sink next hop) is archived; the CLI
// exports a search as a zip of .eml files that Info-ZIP's unzip reads back, each mail as the
// client sent it; the API serves the same as application/zip; the export is in the compliance log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let gw: Gateway;

const mail = (n: number) =>
  ['From: Kim <kim@outside.test>', 'To: leo@example.test', `Subject: Tender round ${n}`, `Date: Mon, ${10 + n} Feb 2025 10:00:00 +0000`, `Message-ID: <tender-${n}@outside.test>`, '', `Offer number ${n} attached below.`, ''].join('\r\n');

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({ config: { hostname: 'gate.example.test', domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` } } });
  await waitFor(async () => (await gw.api('GET', '/api/v1/services/smtp-receiver')).json?.state === 'running', { what: 'smtp-receiver running' });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

test('a search exported as a zip holds one .eml per mail, oldest first, each as sent', async () => {
  for (const n of [2, 1]) {
    const r = await swaks({ server: gw.smtpAddress, from: 'kim@outside.test', to: 'leo@example.test', data: mail(n) });
    assert.equal(r.code, 0, r.stdout);
  }
  await waitFor(async () => ((await gw.api('GET', '/api/v1/archive/search?q=tender')).json?.total === 2 ? true : undefined), { what: 'both archived' });

  const out = join(gw.dir, 'tenders.zip');
  const r = await gw.cli(['archive', 'export', 'subject:tender', '--format', 'zip', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /exported 2 messages/);
  const dir = join(gw.dir, 'unzipped');
  execFileSync('unzip', ['-q', out, '-d', dir]);
  const names = readdirSync(dir).sort();
  assert.equal(names.length, 2);
  assert.match(names[0], /^000001-2025-02-11-\w+\.eml$/);
  assert.match(names[1], /^000002-2025-02-12-\w+\.eml$/);
  assert.equal(readFileSync(join(dir, names[0]), 'utf8'), mail(1));
  assert.equal(readFileSync(join(dir, names[1]), 'utf8'), mail(2));

  const api = await gw.api('GET', `/api/v1/archive/export?format=zip&q=${encodeURIComponent('subject:"tender round 2"')}`);
  assert.equal(api.status, 200);
  assert.match(api.headers.get('content-type') ?? '', /application\/zip/);
  assert.equal(api.headers.get('x-gatehouse-messages'), '1');
  assert.ok(api.text.startsWith('PK'), 'a zip');
  const log = (await gw.api('GET', '/api/v1/compliance?category=export')).json.records;
  assert.deepEqual(
    log.map((x: { subject: string; detail: unknown }) => [x.subject, x.detail]),
    [
      ['subject:"tender round 2"', { format: 'zip', messages: 1 }],
      ['subject:tender', { format: 'zip', messages: 2 }],
    ],
  );
});
