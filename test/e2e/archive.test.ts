// The archive and the compliance log end to end with real peers: swaks sends over SMTP, Postfix's
// smtp-sink is the next hop, the gateway runs as its own process. A mail sent twice is archived
// once; it is found by from:, to:, subject: and free text through the API and the CLI; the
// search is in the compliance log; journal mail is archived and not delivered; and after
// tampering, `archive verify` and `compliance verify` exit non-zero naming what was changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveTamper, complianceTamper } from '../../src/store/sqlite/tamper.ts';

let sink: SmtpSink;
let gw: Gateway;

const MESSAGE = [
  'From: Alice Archer <alice@outside.test>',
  'To: Bob <bob@example.test>',
  'Subject: Harbour inspection schedule',
  'Date: Thu, 16 Jan 2025 08:30:00 +0000',
  'Message-ID: <harbour-42@outside.test>',
  '',
  'The lighthouse keeper confirms Tuesday.',
  '',
].join('\r\n');

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      routes: { 'example.test': `smtp://${sink.address}` },
      archive: { journalAddress: 'journal@gate.example.test' },
    },
  });
  await waitFor(async () => (await gw.api('GET', '/api/v1/services/smtp-receiver')).json?.state === 'running', { what: 'smtp-receiver running' });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

function queuedId(r: { stdout: string }): string {
  const m = /queued as ([0-9a-z]{20})/.exec(r.stdout);
  assert.ok(m, `no queue id in: ${r.stdout}`);
  return m[1];
}

async function finalState(id: string) {
  return waitFor(
    async () => {
      const r = await gw.api('GET', `/api/v1/mails/${id}`);
      return ['delivered', 'bounced', 'deleted'].includes(r.json?.queue) ? r.json : undefined;
    },
    { timeoutMs: 15_000, what: `mail ${id} in a final state` },
  );
}

async function search(q: string) {
  const r = await gw.api('GET', `/api/v1/archive/search?q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return r.json as { total: number; messages: { id: string; subject: string }[] };
}

let archiveId = '';

test('a mail sent twice is delivered twice and archived once, both arrivals linked', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await swaks({ server: gw.smtpAddress, from: 'alice@outside.test', to: 'bob@example.test', data: MESSAGE });
    assert.equal(r.code, 0, r.stdout);
    ids.push(queuedId(r));
  }
  for (const id of ids) assert.equal((await finalState(id)).queue, 'delivered');
  const arrived = await waitFor(async () => {
    const m = (await sink.messages()).filter((x) => x.subject === 'Harbour inspection schedule');
    return m.length === 2 ? m : undefined;
  });
  assert.equal(arrived.length, 2, 'the archive does not change delivery');
  assert.match(arrived[0].raw, /The lighthouse keeper confirms Tuesday\./);

  const found = await search('subject:harbour');
  assert.equal(found.total, 1);
  archiveId = found.messages[0].id;
  const view = await gw.api('GET', `/api/v1/archive/${archiveId}`);
  assert.equal(view.status, 200, view.text);
  assert.deepEqual(
    view.json.deliveries.map((d: { mailId: string }) => d.mailId),
    ids,
  );
  assert.match(view.json.text, /lighthouse keeper/);
  const depotEvent = (await gw.api('GET', `/api/v1/mails/${ids[1]}`)).json.events.find((e: { detail?: { from?: string } }) => e.detail?.from === 'depot');
  assert.match(depotEvent.detail.reason, new RegExp(`archived as ${archiveId} \\(content already archived: linked\\)`));
});

test('the archived mail is found by from:, to:, subject:, a phrase and free text', async () => {
  for (const q of ['from:alice@outside.test', 'from:archer', 'to:bob@example.test', 'subject:"inspection schedule"', 'lighthouse', '"keeper confirms"', 'after:2025-01-16 before:2025-01-17']) {
    const r = await search(q);
    assert.deepEqual(r.messages.map((m) => m.id), [archiveId], q);
  }
  assert.equal((await search('from:bob')).total, 0);
  const bad = await gw.api('GET', `/api/v1/archive/search?q=${encodeURIComponent('has:pictures')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'ARCHIVE_QUERY_INVALID');
});

test('the CLI searches, shows and prints the raw mail; each access is in the compliance log', async () => {
  const s = await gw.cli(['archive', 'search', 'from:alice', 'lighthouse']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, new RegExp(`${archiveId}\\s.*Harbour inspection schedule`));
  assert.match(s.stderr, /page 1 of 1 \(1 message\)/);
  const show = await gw.cli(['archive', 'show', archiveId]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^Subject: Harbour inspection schedule$/m);
  assert.match(show.stdout, /The lighthouse keeper confirms Tuesday\./);
  assert.equal((show.stdout.match(/^arrival \d+:/gm) ?? []).length, 2);
  const raw = await gw.cli(['archive', 'show', archiveId, '--raw']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stdout, MESSAGE.replace(/\r\n$/, '') + '\n', 'the mail as the client sent it');

  const log = await gw.cli(['compliance', 'list', '--category', 'archive', '--json']);
  assert.equal(log.code, 0, log.stderr);
  const records = JSON.parse(log.stdout) as { action: string; subject: string; actor: string }[];
  const searches = records.filter((r) => r.action === 'archive.search').map((r) => r.subject);
  assert.ok(searches.includes('from:alice lighthouse'), searches.join(' | '));
  assert.ok(searches.includes('subject:"inspection schedule"'));
  assert.ok(records.some((r) => r.action === 'archive.view' && r.subject === archiveId));
  assert.ok(records.some((r) => r.action === 'archive.raw' && r.subject === archiveId));
  const services = await gw.api('GET', '/api/v1/compliance?category=service');
  assert.ok(services.json.records.some((r: { action: string; subject: string }) => r.action === 'service.running' && r.subject === 'mail-depot'));
});

test('a search exported as mbox holds the mail once, and the export is in the compliance log', async () => {
  const out = join(gw.dir, 'harbour.mbox');
  const r = await gw.cli(['archive', 'export', 'subject:harbour', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`exported 1 message \\(.*\\) to ${out.replace(/[.]/g, '\\.')}`));
  const mbox = readFileSync(out, 'latin1');
  assert.equal((mbox.match(/^From /gm) ?? []).length, 1);
  assert.match(mbox, /^From alice@outside\.test \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
  assert.ok(mbox.includes(MESSAGE.replace(/\r\n/g, '\n')));
  const tar = await gw.cli(['archive', 'export', 'subject:harbour', '--out', out, '--format', 'tar']);
  assert.equal(tar.code, 2, 'a format that is not there is a usage error');
  const log = (await gw.api('GET', '/api/v1/compliance?category=export')).json.records;
  assert.deepEqual([log[0].action, log[0].subject, log[0].detail], ['archive.export', 'subject:harbour', { format: 'mbox', messages: 1 }]);
});

test('an mbox is imported through the CLI with progress and a summary; the broken mail is counted, not dropped', async () => {
  const mbox = join(gw.dir, 'legacy.mbox');
  writeFileSync(
    mbox,
    [
      'From carol@old.test Fri Mar  1 09:00:00 2019',
      'From: Carol <carol@old.test>',
      'To: bob@example.test',
      'Subject: Lighthouse lamp order 2019',
      'Date: Fri, 01 Mar 2019 09:00:00 +0000',
      '',
      'Please order two lamps.',
      '',
      'From MAILER-DAEMON Fri Mar  1 09:00:00 2019',
      'garbage without any header',
      '',
    ].join('\n'),
  );
  const r = await gw.cli(['archive', 'import', mbox]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /^import imp-[0-9a-f]+: mbox /m);
  assert.match(r.stderr, /100% 2 mails/);
  assert.match(r.stdout, /done: 2 mail\(s\) read from .*legacy\.mbox in \d+s — 2 archived, 0 already in the archive, 1 malformed/);
  const found = await search('subject:lamp before:2020-01-01');
  assert.equal(found.total, 1);
  const again = await gw.cli(['archive', 'import', mbox]);
  assert.match(again.stdout, /0 archived, 2 already in the archive/, 'importing twice stores nothing twice');
  const log = (await gw.api('GET', '/api/v1/compliance?category=archive&limit=20')).json.records.map((x: { action: string }) => x.action);
  assert.ok(log.includes('archive.import') && log.includes('archive.import.done'));
});

test('mail to the journal address is archived and not delivered', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'exchange@example.test', to: 'journal@gate.example.test', subject: 'journal report 7', body: 'journaled copy\n' });
  assert.equal(r.code, 0, r.stdout);
  const m = await finalState(queuedId(r));
  assert.equal(m.queue, 'delivered');
  assert.match(m.lastReason, /^archived \(journal\)/);
  assert.equal(m.envelope.recipients[0].status, 'delivered');
  const found = await search('subject:"journal report 7"');
  assert.equal(found.total, 1);
  const view = await gw.api('GET', `/api/v1/archive/${found.messages[0].id}`);
  assert.equal(view.json.deliveries[0].source, 'journal');
  assert.equal((await sink.messages()).filter((x) => x.subject === 'journal report 7').length, 0);
});

test('admin mail actions and maintenance mode are in the compliance log', async () => {
  await gw.api('POST', '/api/v1/services/smtp-sender/stop');
  const r = await swaks({ server: gw.smtpAddress, from: 'alice@outside.test', to: 'bob@example.test', subject: 'to be held', body: 'x\n' });
  const id = queuedId(r);
  await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === 'deliver');
  assert.equal((await gw.cli(['queue', 'hold', id])).code, 0);
  assert.equal((await gw.cli(['queue', 'delete', id])).code, 0);
  assert.equal((await gw.api('POST', '/api/v1/services/smtp-sender/start')).status, 200);
  assert.equal((await gw.api('PUT', '/api/v1/maintenance', { enabled: true })).status, 200);
  assert.equal((await gw.api('PUT', '/api/v1/maintenance', { enabled: false })).status, 200);
  const list = (await gw.api('GET', '/api/v1/compliance?limit=100')).json.records as { action: string; subject: string; category: string }[];
  assert.ok(list.findIndex((x) => x.action === 'maintenance.off') < list.findIndex((x) => x.action === 'maintenance.on'), 'both, newest first');
  assert.ok(list.findIndex((x) => x.action === 'maintenance.off') >= 0);
  assert.ok(list.some((x) => x.action === 'mail.hold' && x.subject === id && x.category === 'mail'));
  assert.ok(list.some((x) => x.action === 'mail.delete' && x.subject === id && x.category === 'deletion'));
  assert.ok(list.some((x) => x.action === 'service.stop' && x.subject === 'smtp-sender' && x.category === 'admin'));
  assert.ok(list.some((x) => x.action === 'service.stopped' && x.subject === 'smtp-sender' && x.category === 'service'));
});

test('verify: intact, then a changed byte and a changed compliance record are named with exit 1', async () => {
  const okArchive = await gw.cli(['archive', 'verify']);
  assert.equal(okArchive.code, 0, okArchive.stdout + okArchive.stderr);
  assert.match(okArchive.stdout, /chain intact/);
  const okLog = await gw.cli(['compliance', 'verify']);
  assert.equal(okLog.code, 0, okLog.stdout + okLog.stderr);

  archiveTamper(gw.dataDir).flipByte(archiveId, 30);
  const a = await gw.cli(['archive', 'verify']);
  assert.equal(a.code, 1);
  assert.match(a.stdout, new RegExp(`corrupt\\s+message ${archiveId} fails its integrity check`));
  assert.match(a.stderr, new RegExp(`the archive fails verification: message ${archiveId} fails its integrity check`));
  const view = await gw.api('GET', `/api/v1/archive/${archiveId}`);
  assert.equal(view.status, 500);
  assert.equal(view.json.code, 'ARCHIVE_INTEGRITY_FAILED');

  complianceTamper(gw.dataDir).changeActor(2, 'nobody');
  complianceTamper(gw.dataDir).remove(4);
  const c = await gw.cli(['compliance', 'verify']);
  assert.equal(c.code, 1);
  assert.match(c.stdout, /changed\s+record 2 was changed/);
  assert.match(c.stdout, /missing\s+record 4 is missing/);
  assert.match(c.stderr, /the compliance log fails verification: record 2 was changed: .*; record 4 is missing/);
});
