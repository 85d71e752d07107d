// CISS end to end: an unknown sender's mail waits in quarantine:ciss, the challenge reaches the
// sender (the test's smtp-sink), the link is followed over HTTP and the original is delivered;
// then the sender is known. No backscatter: null sender, list mail, SPF fail and a second mail in
// the same period get no challenge. Recipients of outgoing mail are known senders.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import type { SmtpSink } from '../helpers/smtp-sink.ts';
import { startInboundGateway, type InboundGateway } from '../helpers/inbound-gateway.ts';
import { freePort } from '../helpers/ports.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

// scrypt hash of "s3cret" (as in smtp-receiver.test.ts)
const HASH = 'scrypt$16384$8$1$Olj7bpYwbgGe8jHgHMfOMA==$fnrZyvtEaSeZQevA72+/tNyDOW0qwCQQCmAEdJcpEHk=';

let sink: SmtpSink;
let gw: Gateway;
let linkPort: number;
let peers: InboundGateway;

before(async () => {
  linkPort = await freePort();
  peers = await startInboundGateway({
    zone: { 'forged.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] } },
    config: {
      smtp: { users: [{ user: 'alice', password: HASH }] },
      spamfinder: { profiles: { default: { ciss: true } }, links: { listen: `127.0.0.1:${linkPort}`, url: `http://127.0.0.1:${linkPort}` } },
    },
  });
  ({ sink, gw } = peers);
});

after(async () => {
  await peers?.dispose();
});

const mailOf = async (id: string) => (await gw.api('GET', `/api/v1/mails/${id}`)).json;
const inQueue = (id: string, queue: string) => waitFor(async () => ((await mailOf(id))?.queue === queue ? mailOf(id) : undefined), { timeoutMs: 15_000, what: `${id} in ${queue}` });
async function send(o: { from: string; to: string; subject: string; headers?: Record<string, string> }): Promise<string> {
  const r = await swaks({ server: gw.smtpAddress, ...o, body: 'Hello there, a mail for you.\n' });
  assert.equal(r.code, 0, r.stdout);
  return /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
}
const challengesTo = async (address: string) => (await sink.messages()).filter((m) => m.sender === '' && m.recipients.includes(address) && /^Please confirm/.test(m.subject ?? ''));

test('an unknown sender waits; the challenge link, followed over HTTP, delivers the mail and makes the sender known', async () => {
  const id = await send({ from: 'stranger@outside.test', to: 'a@example.test', subject: 'first contact' });
  const held = await inQueue(id, 'quarantine:ciss');
  assert.equal(held.envelope.meta.spamfinder.filter, 'CISS');
  const challenge = await waitFor(async () => (await challengesTo('stranger@outside.test'))[0], { timeoutMs: 15_000 });
  const text = (await challenge.parse()).text ?? '';
  const link = /(http:\/\/127\.0\.0\.1:\d+\/ciss\/confirm\?t=\S+)/.exec(text)![1];
  const shown = await fetch(link);
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /Yes, I sent it/);
  const confirmed = await fetch(`http://127.0.0.1:${linkPort}/ciss/confirm`, { method: 'POST', body: new URLSearchParams({ t: new URL(link).searchParams.get('t')! }) });
  assert.equal(confirmed.status, 200);
  await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'first contact'), { timeoutMs: 15_000 });
  assert.ok((await mailOf(id)).events.some((e: { event: string; actor: string }) => e.event === 'released' && e.actor === 'ciss-confirm:stranger@outside.test'));

  const id2 = await send({ from: 'stranger@outside.test', to: 'a@example.test', subject: 'second contact' });
  await inQueue(id2, 'delivered');
  assert.equal((await challengesTo('stranger@outside.test')).length, 1, 'one challenge only');
});

test('no backscatter: null sender, list mail and SPF fail are held without a challenge; one challenge per sender per period', async () => {
  const bounce = await send({ from: '', to: 'a@example.test', subject: 'a bounce' });
  assert.match((await inQueue(bounce, 'quarantine:ciss')).envelope.meta.spamfinder.checks.CISS, /no challenge \(null sender\)/);
  const list = await send({ from: 'news@lists.test', to: 'a@example.test', subject: 'newsletter', headers: { 'List-Id': '<news.lists.test>' } });
  assert.match((await inQueue(list, 'quarantine:ciss')).envelope.meta.spamfinder.checks.CISS, /no challenge \(list, bulk or auto-submitted mail\)/);
  const forged = await send({ from: 'ceo@forged.test', to: 'a@example.test', subject: 'forged' });
  assert.match((await inQueue(forged, 'quarantine:ciss')).envelope.meta.spamfinder.checks.CISS, /no challenge \(SPF or DMARC failed\)/);
  const one = await send({ from: 'twice@outside.test', to: 'a@example.test', subject: 'one' });
  await inQueue(one, 'quarantine:ciss');
  const two = await send({ from: 'twice@outside.test', to: 'a@example.test', subject: 'two' });
  assert.match((await inQueue(two, 'quarantine:ciss')).envelope.meta.spamfinder.checks.CISS, /challenged already in this period/);
  await waitFor(async () => (await challengesTo('twice@outside.test')).length === 1, { timeoutMs: 15_000 });
  for (const x of ['news@lists.test', 'ceo@forged.test']) assert.equal((await challengesTo(x)).length, 0);
});

test('recipients of outgoing mail become known senders', async () => {
  const out = await swaks({ server: gw.smtpAddress, from: 'a@example.test', to: 'partner@remote.test', subject: 'hello partner', tls: true, auth: { user: 'alice', password: 's3cret', type: 'PLAIN' } });
  assert.equal(out.code, 0, out.stdout);
  await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'hello partner'), { timeoutMs: 15_000 });
  const reply = await send({ from: 'partner@remote.test', to: 'a@example.test', subject: 'reply from partner' });
  await inQueue(reply, 'delivered');
  assert.equal((await challengesTo('partner@remote.test')).length, 0);
});

test('a known sender writing to two recipients, one of whom does not know it: delivered to the one, the copy for the other waits for confirmation', async () => {
  // partner@remote.test is known to a@ (previous test: a@ wrote to it), not to b@.
  const id = await send({ from: 'partner@remote.test', to: 'a@example.test,b@example.test', subject: 'to both of you' });
  const delivered = await inQueue(id, 'delivered');
  assert.deepEqual(delivered.envelope.recipients.map((r: { address: string }) => r.address), ['a@example.test']);
  const copyId = delivered.events.find((e: { detail?: { generated?: string[] } }) => e.detail?.generated?.length).detail.generated[0];
  const held = await inQueue(copyId, 'quarantine:ciss');
  assert.deepEqual(held.envelope.recipients.map((r: { address: string }) => r.address), ['b@example.test']);
  assert.match(held.lastReason, /not known to b@example\.test/);
  const got = await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'to both of you'), { timeoutMs: 15_000 });
  assert.deepEqual(got.recipients, ['a@example.test']);
  await waitFor(async () => (await challengesTo('partner@remote.test')).length === 1, { timeoutMs: 15_000, what: 'one challenge, for b@' });
});
