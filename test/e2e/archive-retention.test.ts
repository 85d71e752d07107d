// Retention and legal holds end to end: swaks sends over SMTP, smtp-sink is the next hop, the
// gateway runs as its own process with a policy of a few seconds' retention and the expiry job
// every second. A hold by query placed before the mail arrives keeps it; the other expired mail
// is deleted by the periodic job; `archive verify` stays green (the deletion is proven, not
// tampering); holds and deletions are in the compliance log; lifting the hold lets it go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let gw: Gateway;

const mail = (subject: string) =>
  [`From: Erin <erin@outside.test>`, 'To: frank@example.test', `Subject: ${subject}`, 'Date: Thu, 16 Jan 2025 08:30:00 +0000', '', `About ${subject}.`, ''].join('\r\n');

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      routes: { 'example.test': `smtp://${sink.address}` },
      archive: {
        // About three seconds: long enough to be archived, short enough to expire in the test.
        policies: [{ name: 'short-lived', subject: 'ephemeral', archive: true, retentionDays: 3 / 86_400 }],
        retention: { expireEvery: '1s' },
      },
    },
  });
  await waitFor(async () => (await gw.api('GET', '/api/v1/services/smtp-receiver')).json?.state === 'running', { what: 'smtp-receiver running' });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

async function find(q: string): Promise<{ id: string; retainUntil: number }[]> {
  const r = await gw.api('GET', `/api/v1/archive/search?q=${encodeURIComponent(q)}`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages;
}

test('the expiry job deletes the expired mail and keeps the one a hold by query covers; verify stays green', async () => {
  const add = await gw.cli(['archive', 'hold', 'add', 'subject:lawsuit', '--reason', 'case 2025-17']);
  assert.equal(add.code, 0, add.stderr);
  const holdId = /hold (H[0-9A-F]+) placed/.exec(add.stdout)?.[1];
  assert.ok(holdId, add.stdout);

  for (const subject of ['ephemeral lawsuit notes', 'ephemeral lunch menu', 'quarterly figures']) {
    const r = await swaks({ server: gw.smtpAddress, from: 'erin@outside.test', to: 'frank@example.test', data: mail(subject) });
    assert.equal(r.code, 0, r.stdout);
  }
  const [held] = await waitFor(async () => {
    const m = await find('subject:ephemeral subject:lawsuit');
    return m.length ? m : undefined;
  });
  const [kept] = await waitFor(async () => {
    const m = await find('subject:quarterly');
    return m.length ? m : undefined;
  });
  assert.ok(kept.retainUntil > Date.now() + 3000 * 86_400_000, 'the default retention (3650 days) for mail no policy gives one');

  // The lunch menu is archived and then, its retention over, deleted by the periodic job.
  const lunch = await waitFor(async () => (await find('subject:lunch'))[0]);
  const deletion = await waitFor(
    async () => {
      const r = await gw.api('GET', '/api/v1/compliance?category=deletion');
      return r.json.records.find((x: { action: string; subject: string }) => x.action === 'archive.delete' && x.subject === lunch.id);
    },
    { timeoutMs: 20_000, what: 'the deletion of the expired mail' },
  );
  assert.equal(deletion.actor, 'mail-depot');
  assert.deepEqual(await find('subject:lunch'), []);
  assert.equal((await gw.api('GET', `/api/v1/archive/${lunch.id}`)).status, 404);
  assert.ok(held.retainUntil < Date.now(), 'the held mail has expired too');
  assert.deepEqual((await find('subject:lawsuit')).map((m) => m.id), [held.id], 'the hold keeps it');

  const verify = await gw.cli(['archive', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /1 deleted by the expiry job, 0 problem\(s\)/);

  const list = await gw.cli(['archive', 'hold', 'list']);
  assert.match(list.stdout, new RegExp(`${holdId}\\s+query subject:lawsuit\\s+case 2025-17`));
  const removed = await gw.cli(['archive', 'hold', 'remove', holdId!]);
  assert.equal(removed.code, 0, removed.stderr);
  const expire = await gw.cli(['archive', 'expire']);
  assert.equal(expire.code, 0, expire.stderr);
  await waitFor(async () => ((await find('subject:lawsuit')).length === 0 ? true : undefined), { what: 'the mail deleted once the hold is lifted' });
  assert.equal((await find('subject:quarterly')).length, 1, 'unexpired mail stays');

  const holds = (await gw.api('GET', '/api/v1/compliance?category=legal-hold')).json.records.map((r: { action: string; subject: string }) => [r.action, r.subject]);
  assert.deepEqual(holds, [
    ['hold.remove', holdId],
    ['hold.add', holdId],
  ]);
  const again = await gw.cli(['archive', 'verify', '--json']);
  assert.equal(again.code, 0, again.stdout);
  assert.equal(JSON.parse(again.stdout).deleted, 2);
});

test('holds are refused without a reason or with both an id and a query; an unknown hold is 404', async () => {
  const both = await gw.api('POST', '/api/v1/archive/holds', { archiveId: 'X', query: 'from:a', reason: 'r' });
  assert.equal(both.status, 400);
  assert.equal(both.json.code, 'HOLD_INVALID');
  const none = await gw.api('POST', '/api/v1/archive/holds', { query: 'from:a' });
  assert.equal(none.status, 400);
  const gone = await gw.api('DELETE', '/api/v1/archive/holds/HNOPE');
  assert.equal(gone.status, 404);
  assert.equal(gone.json.code, 'HOLD_NOT_FOUND');
});
