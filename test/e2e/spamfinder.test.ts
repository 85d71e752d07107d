// The spamfinder stage end to end: swaks sends, smtp-sink receives, the loopback DNS server
// answers the SPF/DMARC lookups, and a real clamd started here scans with a database that holds
// only this test's signature. Block lists and Bayes (trained through the CLI on a corpus written
// here) quarantine spam with the deciding filter shown; the admin delivers, deletes and
// allow-lists through the CLI; profiles mark and decline; clamd gone means deferred, not passed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { startClamd, ndbSignature, type Clamd } from '../helpers/clamd.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempDir } from '../helpers/tmp.ts';

const VIRUS = 'GATEHOUSE-TEST-VIRUS-7f3a9c-PAYLOAD';

let sink: SmtpSink;
let gw: Gateway;
let clamd: Clamd;
let peers: InboundGateway;

before(async () => {
  clamd = await startClamd({ 'gatehouse-test.ndb': ndbSignature('Gatehouse.Test.Virus', VIRUS) });
  peers = await startInboundGateway({
    config: {
      domains: ['example.test', 'strict.example.test'],
      spamfinder: {
        lists: { abl: ['*@blocked.test'], sbl: ['block this subject'] },
        bayes: { minTrained: 5 },
        virus: { clamd: clamd.address, timeout: '5s', retry: '1s' },
        profiles: { marking: { bayes: 'mark', tag: '[SPAM?]' }, strict: { blocklist: 'decline' } },
        assign: { 'marked@example.test': 'marking', 'strict.example.test': 'strict' },
      },
    },
  });
  ({ sink, gw } = peers);
});

after(async () => {
  await peers?.dispose();
  await clamd?.dispose();
});

const queuedId = (out: string) => {
  const m = /queued as ([0-9a-z]{20})/.exec(out);
  assert.ok(m, out);
  return m[1];
};
const mailOf = async (id: string) => (await gw.api('GET', `/api/v1/mails/${id}`)).json;
const inQueue = (id: string, queue: string) =>
  waitFor(async () => {
    const m = await mailOf(id);
    return m?.queue === queue ? m : undefined;
  }, { timeoutMs: 15_000, what: `mail ${id} in ${queue}` });
const arrived = (subject: string) => waitFor(async () => (await sink.messages()).find((x) => (x.subject ?? '').includes(subject)), { timeoutMs: 15_000, what: `"${subject}" at the sink` });

async function send(o: { from: string; to: string; subject: string; body?: string }): Promise<string> {
  const r = await swaks({ server: gw.smtpAddress, from: o.from, to: o.to, subject: o.subject, body: o.body ?? 'Hello,\nsee you tomorrow.\n' });
  assert.equal(r.code, 0, r.stdout);
  return queuedId(r.stdout);
}

test('clamd runs with only the signature this test wrote', async () => {
  assert.equal(await clamd.command('PING'), 'PONG');
  assert.match(await clamd.log(), /Loaded 1 signatures?\./);
  assert.equal((await gw.api('GET', '/api/v1/services/virus-scanner')).json.configured, true);
});

test('a sender on the block list (ABL) lands in quarantine:spam with the filter shown; deliver sends it on', async () => {
  const id = await send({ from: 'promo@blocked.test', to: 'a@example.test', subject: 'blocked sender one' });
  const m = await inQueue(id, 'quarantine:spam');
  assert.equal(m.envelope.meta.spamfinder.filter, 'ABL');
  assert.match(m.lastReason, /ABL: promo@blocked\.test matches "\*@blocked\.test"/);
  const held = m.events.find((e: { event: string }) => e.event === 'held');
  assert.match(held.detail.reason, /spam: ABL/);

  const list = await gw.api('GET', '/api/v1/quarantine?queue=spam&search=blocked%20sender%20one');
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.mails.map((x: { id: string; filter: string }) => [x.id, x.filter]), [[id, 'ABL']]);
  const cli = await gw.cli(['quarantine', 'list', '--queue', 'spam']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`${id}.*blocked sender one.*ABL`));
  const show = await gw.cli(['quarantine', 'show', id]);
  assert.match(show.stdout, /filter:\s+ABL/);

  const hamBefore = (await gw.api('GET', '/api/v1/spamfinder/bayes')).json.ham;
  const d = await gw.cli(['quarantine', 'deliver', id]);
  assert.equal(d.code, 0, d.stderr);
  const got = await arrived('blocked sender one');
  assert.deepEqual(got.recipients, ['a@example.test']);
  const after = await inQueue(id, 'delivered');
  assert.ok(after.events.some((e: { event: string; actor: string }) => e.event === 'released' && e.actor === 'admin-api'));
  assert.equal((await gw.api('GET', '/api/v1/spamfinder/bayes')).json.ham, hamBefore + 1, 'release trains Bayes as ham');
});

test('allow: delivers and puts the sender on the AWL, which then wins over the block list', async () => {
  const id = await send({ from: 'friend@blocked.test', to: 'a@example.test', subject: 'blocked friend first' });
  await inQueue(id, 'quarantine:spam');
  const r = await gw.cli(['quarantine', 'allow', id]);
  assert.equal(r.code, 0, r.stderr);
  await arrived('blocked friend first');
  const entries = (await gw.api('GET', '/api/v1/spamfinder/lists?list=awl')).json.entries;
  assert.ok(entries.some((e: { value: string }) => e.value === 'friend@blocked.test'));
  const id2 = await send({ from: 'friend@blocked.test', to: 'a@example.test', subject: 'blocked friend second' });
  await arrived('blocked friend second');
  const m = await mailOf(id2);
  assert.equal(m.envelope.meta.spamfinder.verdict, 'allowed');
  assert.equal(m.envelope.meta.spamfinder.filter, 'AWL');
});

test('delete removes a quarantined mail; a subject on the SBL is caught too', async () => {
  const id = await send({ from: 'x@outside.test', to: 'a@example.test', subject: 'please Block This Subject now' });
  const m = await inQueue(id, 'quarantine:spam');
  assert.equal(m.envelope.meta.spamfinder.filter, 'SBL');
  const r = await gw.cli(['quarantine', 'delete', id]);
  assert.equal(r.code, 0, r.stderr);
  await inQueue(id, 'deleted');
});

const LOTTERY = `Dear friend, we are pleased to inform you that your email address has been selected in our
international lottery programme and you have won the sum of 2,500,000 dollars. To claim your prize
contact our agent Mr John Smith and quote your reference number REF-99812 within fourteen days,
after which the prize will be returned to the treasury. Congratulations once again from all of us.
`;

test('report: a confirmed spam teaches FUZZY, which then catches a changed copy from another sender', async () => {
  const id = await send({ from: 'promo@blocked.test', to: 'a@example.test', subject: 'you won', body: LOTTERY });
  await inQueue(id, 'quarantine:spam');
  const r = await gw.cli(['quarantine', 'report', id]);
  assert.equal(r.code, 0, r.stderr);
  const reported = await inQueue(id, 'deleted');
  assert.ok(reported.events.some((e: { event: string; detail?: { action?: string } }) => e.event === 'deleted' && e.detail?.action === 'report'));
  const variant = LOTTERY.replace('Dear friend', 'Dear winner').replace('2,500,000', '1,750,000').replace('Mr John Smith', 'Mrs Mary Jones');
  const id2 = await send({ from: 'agent@elsewhere.test', to: 'a@example.test', subject: 'claim your prize', body: variant });
  const m = await inQueue(id2, 'quarantine:spam');
  assert.equal(m.envelope.meta.spamfinder.filter, 'FUZZY');
  assert.match(m.lastReason, /FUZZY: \d+% of its fingerprint matches known spam/);
});

test('decline profile: a blocked sender gets a DSN and the mail is bounced, not delivered', async () => {
  const id = await send({ from: 'promo@blocked.test', to: 'boss@strict.example.test', subject: 'declined by profile' });
  const m = await inQueue(id, 'bounced');
  assert.match(m.lastReason, /declined: spam: ABL/);
  const dsn = await waitFor(async () => (await sink.messages()).find((x) => x.recipients.includes('promo@blocked.test') && x.sender === ''), { timeoutMs: 15_000 });
  assert.match(dsn.raw, /declined by the spam filter \(ABL\)/);
  assert.ok(!(await sink.messages()).some((x) => x.subject === 'declined by profile'));
});

test('one mail to recipients with different profiles is split: quarantined for one, declined with a DSN for the other', async () => {
  const id = await send({ from: 'promo@blocked.test', to: 'a@example.test,boss@strict.example.test', subject: 'split by profile' });
  const held = await inQueue(id, 'quarantine:spam');
  assert.deepEqual(held.envelope.recipients.map((r: { address: string }) => r.address), ['a@example.test']);
  assert.match(held.lastReason, /ABL.*split by recipients' treatment: 1 copy for boss@strict\.example\.test/);
  const moved = held.events.find((e: { event: string; detail?: { generated?: string[] } }) => e.event === 'held' && e.detail?.generated?.length);
  assert.ok(moved, JSON.stringify(held.events));
  const copyId = moved.detail.generated[0];
  const copy = await inQueue(copyId, 'bounced');
  assert.equal(copy.envelope.meta.splitFrom, id);
  assert.equal(copy.envelope.meta.spamfinder.profile, 'strict');
  assert.deepEqual(copy.envelope.recipients.map((r: { address: string }) => r.address), ['boss@strict.example.test']);
  const dsn = await waitFor(async () => (await sink.messages()).find((x) => x.sender === '' && x.raw.includes('boss@strict.example.test') && x.raw.includes('split by profile')), { timeoutMs: 15_000, what: 'the DSN for the declined copy' });
  assert.ok(!dsn.raw.includes('Final-Recipient: rfc822; a@example.test'), 'the DSN names only the declined recipient');
  assert.ok(!(await sink.messages()).some((x) => x.subject === 'split by profile'), 'delivered to nobody');
});

/** A small corpus: spam and ham with their own vocabularies, varied per mail, framed like swaks' mails. */
function corpusMail(kind: 'spam' | 'ham', i: number, list?: string): string {
  const spamWords = ['cheap', 'pills', 'discount', 'casino', 'lottery', 'winner', 'bitcoin', 'investment', 'guaranteed', 'refinance', 'viagra', 'unsubscribe', 'offer', 'limited', 'click'];
  const hamWords = ['meeting', 'agenda', 'project', 'schedule', 'quarterly', 'report', 'minutes', 'review', 'deadline', 'budget', 'team', 'lunch', 'draft', 'colleagues', 'thanks'];
  const words = kind === 'spam' ? spamWords : hamWords;
  const pick = (n: number) => Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');
  const from = kind === 'spam' ? `deals${i}@promo${i % 3}.test` : `colleague${i}@partner.test`;
  const listId = list ? [`List-Id: <${list}>`] : [];
  // The same header set swaks writes, in both classes, so that headers say nothing either way.
  return [
    'Date: Sat, 28 Nov 2026 10:00:00 +0000',
    'To: a@example.test',
    `From: ${from}`,
    `Subject: ${pick(4)}`,
    `Message-Id: <${kind}${i}@vm>`,
    'X-Mailer: swaks v20201014.0 jetmore.org/john/code/swaks/',
    ...listId,
    '',
    pick(30),
    pick(20),
    '',
  ].join('\r\n');
}

test('Bayes trained through the CLI on a corpus quarantines a spammy mail (filter BAYES) and passes a hammy one', async () => {
  const dir = await tempDir('gatehouse-corpus-');
  await mkdir(join(dir, 'spam'));
  await mkdir(join(dir, 'ham'));
  for (let i = 0; i < 12; i++) {
    await writeFile(join(dir, 'spam', `${i}.eml`), corpusMail('spam', i));
    await writeFile(join(dir, 'ham', `${i}.eml`), corpusMail('ham', i));
  }
  const r = await gw.cli(['spam', 'train', '--spam', join(dir, 'spam'), '--ham', join(dir, 'ham')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /spam: learned 12 of 12/);
  const again = await gw.cli(['spamfinder', 'learn', '--spam', join(dir, 'spam'), '--json']);
  assert.equal(JSON.parse(again.stdout).spam.learned, 0, 'learning the same mails twice changes nothing');
  await writeFile(join(dir, 'probe-spam.eml'), 'From: x@else.test\r\nSubject: cheap pills casino\r\n\r\nlottery winner discount offer bitcoin guaranteed\r\n');
  await writeFile(join(dir, 'probe-ham.eml'), 'From: y@else.test\r\nSubject: project agenda\r\n\r\nmeeting schedule quarterly report review\r\n');
  const check = await gw.cli(['spamfinder', 'check', join(dir, 'probe-spam.eml'), join(dir, 'probe-ham.eml'), '--json']);
  assert.equal(check.code, 0, check.stderr);
  const lines = check.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l: { verdict: string; filter: string | null }) => [l.verdict, l.filter]), [['spam', 'BAYES'], ['clean', null]]);
  assert.ok(lines[0].score >= 0.9 && lines[1].score < 0.5);

  const spamId = await send({ from: 'someone@elsewhere.test', to: 'a@example.test', subject: 'cheap pills discount offer', body: 'winner lottery casino guaranteed investment click unsubscribe limited offer bitcoin\n' });
  const m = await inQueue(spamId, 'quarantine:spam');
  assert.equal(m.envelope.meta.spamfinder.filter, 'BAYES');
  assert.ok(m.envelope.meta.spamfinder.score >= 0.9, String(m.envelope.meta.spamfinder.score));
  assert.match(m.lastReason, /BAYES: spam probability/);

  const hamId = await send({ from: 'someone@elsewhere.test', to: 'a@example.test', subject: 'project meeting agenda', body: 'quarterly report review deadline budget team lunch draft thanks colleagues minutes\n' });
  await arrived('project meeting agenda');
  assert.equal((await mailOf(hamId)).envelope.meta.spamfinder.verdict, 'clean');
});

test('mark profile: spam for marked@ arrives with a subject tag and an X-Gatehouse-Spam header', async () => {
  await send({ from: 'someone@elsewhere.test', to: 'marked@example.test', subject: 'casino lottery winner', body: 'cheap pills discount viagra refinance guaranteed investment click offer\n' });
  const got = await arrived('casino lottery winner');
  assert.match(got.subject ?? '', /^\[SPAM\?\] casino lottery winner/);
  assert.match(got.headers['x-gatehouse-spam']?.[0] ?? '', /^yes; filter=BAYES; score=[0-9.]+; profile=marking/);
});

test('a mail carrying the test virus lands in quarantine:virus with the signature named', async () => {
  const id = await send({ from: 'x@outside.test', to: 'a@example.test', subject: 'infected', body: `look at this:\n${VIRUS}\n` });
  const m = await inQueue(id, 'quarantine:virus');
  assert.equal(m.envelope.meta.spamfinder.filter, 'VIRUS');
  assert.match(m.envelope.meta.spamfinder.reason, /Gatehouse\.Test\.Virus/);
  const list = await gw.api('GET', '/api/v1/quarantine?queue=virus');
  assert.ok(list.json.mails.some((x: { id: string; filter: string }) => x.id === id && x.filter === 'VIRUS'));
  const allow = await gw.api('POST', `/api/v1/quarantine/${id}/allow`);
  assert.equal(allow.status, 409);
  assert.equal(allow.json.code, 'MAIL_WRONG_QUEUE');
});

test('clamd stopped: mail is deferred in the spamfinder, not passed; it goes on once clamd is back', async () => {
  await clamd.stop();
  try {
    const id = await send({ from: 'x@outside.test', to: 'a@example.test', subject: 'while clamd is down' });
    const m = await waitFor(async () => {
      const x = await mailOf(id);
      return x?.queue === 'spamfinder' && x.attempts >= 1 ? x : undefined;
    }, { timeoutMs: 15_000 });
    assert.match(m.lastReason, /virus scan failed/);
    assert.ok(!(await sink.messages()).some((x) => x.subject === 'while clamd is down'));
  } finally {
    await clamd.start();
  }
  await arrived('while clamd is down');
});

test('virus-scanner deactivated: the flow goes on without scanning', async () => {
  const off = await gw.api('POST', '/api/v1/services/virus-scanner/deactivate');
  assert.equal(off.status, 200, off.text);
  try {
    const id = await send({ from: 'x@outside.test', to: 'a@example.test', subject: 'unscanned by choice', body: `${VIRUS}\n` });
    await arrived('unscanned by choice');
    assert.equal((await mailOf(id)).envelope.meta.spamfinder.checks.VIRUS, 'skipped (deactivated)');
  } finally {
    await gw.api('POST', '/api/v1/services/virus-scanner/activate');
    await gw.api('POST', '/api/v1/services/virus-scanner/start');
  }
});

test('after learning enough of the site\'s mail the filter calibrates itself, and the status says so', async () => {
  const before = await gw.cli(['spamfinder', 'status']);
  assert.match(before.stdout, /not calibrated yet: the shipped weights apply/);
  const dir = await tempDir('gatehouse-calibration-');
  await mkdir(join(dir, 'spam'));
  await mkdir(join(dir, 'ham'));
  for (let i = 100; i < 160; i++) {
    await writeFile(join(dir, 'spam', `${i}.eml`), corpusMail('spam', i));
    await writeFile(join(dir, 'ham', `${i}.eml`), corpusMail('ham', i, `list${i % 4}.partner.test`));
  }
  const r = await gw.cli(['spamfinder', 'learn', '--spam', join(dir, 'spam'), '--ham', join(dir, 'ham')]);
  assert.equal(r.code, 0, r.stderr);
  // Fitted a few seconds after the last learning, on the learned mails of every source but its own.
  const c = await waitFor(async () => JSON.parse((await gw.cli(['spamfinder', 'status', '--json'])).stdout).calibration ?? undefined, { timeoutMs: 30_000, intervalMs: 1000, what: 'a calibration' });
  assert.ok(c.examples.spam >= 50 && c.examples.ham >= 50 && c.hamSources >= 4, JSON.stringify(c));
  assert.match((await gw.cli(['spamfinder', 'status'])).stdout, /calibrated to this site on \d+ spam \+ \d+ ham from \d+ ham sources/);
  const id = await send({ from: 'someone@elsewhere.test', to: 'a@example.test', subject: 'cheap pills discount offer', body: 'winner lottery casino guaranteed investment click unsubscribe limited offer bitcoin\n' });
  assert.equal((await inQueue(id, 'quarantine:spam')).envelope.meta.spamfinder.filter, 'BAYES');
});
