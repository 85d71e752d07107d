// The rule layer end to end, out of the box (Bayes not trained): swaks sends, smtp-sink receives.
// A mail showing several generic spam signals is quarantined with filter RULES and the rules
// named in its reason; a plain personal mail from the same outside sender arrives; a profile's
// `rules` action applies (mark); `gatehouse spamfinder check --json` gives the same verdict.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { tempDir } from '../helpers/tmp.ts';

let sink: SmtpSink;
let gw: Gateway;
let peers: InboundGateway;

before(async () => {
  peers = await startInboundGateway({
    config: {
      spamfinder: {
        profiles: { marking: { rules: 'mark', tag: '[RULES]' } },
        assign: { 'marked@example.test': 'marking' },
      },
    },
  });
  ({ sink, gw } = peers);
});

after(async () => {
  await peers?.dispose();
});

const mailOf = async (id: string) => (await gw.api('GET', `/api/v1/mails/${id}`)).json;
const inQueue = (id: string, queue: string) =>
  waitFor(async () => {
    const m = await mailOf(id);
    return m?.queue === queue ? m : undefined;
  }, { timeoutMs: 15_000, what: `mail ${id} in ${queue}` });
const arrived = (subject: string) => waitFor(async () => (await sink.messages()).find((x) => (x.subject ?? '').includes(subject)), { timeoutMs: 15_000, what: `"${subject}" at the sink` });

/** A random id after a run of spaces in the subject, urgency, sales phrases, a link to a bare IP address. */
const SPAM = {
  subject: 'CLAIM YOUR CASH BONUS TODAY      xq81kz',
  headers: { 'X-Priority': '1 (Highest)' },
  body: 'Dear friend,\n\nClick here to claim your cash bonus: http://203.0.113.50/claim\nAct now, this is a limited time offer with no obligation!!\nOrder now!!\n',
};

async function send(to: string, o: { subject: string; body: string; headers?: Record<string, string> }): Promise<string> {
  const r = await swaks({ server: gw.smtpAddress, from: 'someone@outside.test', to, subject: o.subject, body: o.body, headers: o.headers });
  assert.equal(r.code, 0, r.stdout);
  const m = /queued as ([0-9a-z]{20})/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1];
}

test('untrained Bayes: a mail with several spam signals is quarantined by RULES, naming them', async () => {
  assert.equal((await gw.api('GET', '/api/v1/spamfinder/bayes')).json.ready, false, 'Bayes has learned nothing');
  const id = await send('a@example.test', SPAM);
  const m = await inQueue(id, 'quarantine:spam');
  const v = m.envelope.meta.spamfinder;
  assert.equal(v.filter, 'RULES');
  assert.ok(v.score >= 0.8, String(v.score));
  assert.match(v.reason, /^RULES: spam probability [0-9.]+ ≥ 0\.8 \(Bayes not trained yet; rules: .*URI_NUMERIC_IP\(\+/);
  for (const rule of ['SUBJ_TRAILING_ID', 'BODY_SPAM_PHRASES', 'HDR_PRIORITY_HIGH']) assert.match(v.checks.RULES, new RegExp(`${rule}\\(\\+`));
  assert.equal(v.checks.BAYES, 'not trained yet');
  assert.match(m.lastReason, /spam: RULES: spam probability/);
});

test('a plain personal mail from the same outside sender is delivered', async () => {
  const id = await send('a@example.test', { subject: 'lunch on friday', body: 'Hi,\n\nshall we have lunch on Friday at noon? The usual place.\n\nBest,\nSam\n' });
  await arrived('lunch on friday');
  const v = (await mailOf(id)).envelope.meta.spamfinder;
  assert.equal(v.verdict, 'clean');
  assert.ok(v.checks.RULES, 'the rules ran');
});

test("a profile's rules action applies: marked@ gets the spam tagged, not held", async () => {
  await send('marked@example.test', { ...SPAM, subject: 'FREE CASH BONUS FOR YOU NOW      zz91ka' });
  const got = await arrived('FREE CASH BONUS FOR YOU NOW');
  assert.match(got.subject ?? '', /^\[RULES\] FREE CASH BONUS/);
  assert.match(got.headers['x-gatehouse-spam']?.[0] ?? '', /^yes; filter=RULES; score=[0-9.]+; profile=marking/);
});

test('gatehouse spamfinder check --json gives the verdict with the deciding filter and its rules', async () => {
  const dir = await tempDir('gatehouse-rules-');
  const file = join(dir, 'probe.eml');
  await writeFile(file, ['From: someone@outside.test', 'To: a@example.test', `Subject: ${SPAM.subject}`, 'X-Priority: 1', '', SPAM.body].join('\r\n'));
  const r = await gw.cli(['spamfinder', 'check', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim());
  assert.equal(line.verdict, 'spam');
  assert.equal(line.filter, 'RULES');
  assert.match(line.reason, /rules: .*URI_NUMERIC_IP/);
});
