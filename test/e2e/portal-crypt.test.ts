// The encryption portal end to end over real protocols: swaks sends an outgoing mail that a portal
// policy covers; Postfix's smtp-sink catches the notification (never the content); the test follows
// the link over HTTP, sets a password, reads the mail, downloads its attachment and replies; the
// reply arrives at the sink addressed to the original sender. An expired link shows a clear page;
// wrong passwords are refused and, past the limit, even the right one waits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gateway } from '../helpers/gateway.ts';
import { PORTAL_TRUSTED, startPortalGateway, stopPortalGateway } from '../helpers/portal-gateway.ts';
import type { SinkMessage, SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';
import { createLinkSigner } from '../../src/services/spamfinder/reports/link-signer.ts';

/** Our own trusted "relay" address: mail sent from it is outbound. */
const TRUSTED = PORTAL_TRUSTED;
const PASSWORD = 'a long portal password';
const ATTACHMENT = Buffer.from('%PDF-1.4 quarterly figures, not for everyone\n'.repeat(40));

let sink: SmtpSink;
let gw: Gateway;
let portalUrl: string;

before(async () => {
  ({ gw, sink, portalUrl } = await startPortalGateway({ portal: { maxAttempts: 3 } }));
});

after(() => stopPortalGateway({ gw, sink }));

function mailWithAttachment(to: string, subject: string): string {
  return [
    'From: Alice <alice@example.test>',
    `To: <${to}>`,
    `Subject: ${subject}`,
    'Message-ID: <original-1@example.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Dear Bob, the confidential figures are attached.',
    '',
    '--b1',
    'Content-Type: application/pdf; name="figures.pdf"',
    'Content-Disposition: attachment; filename="figures.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    ATTACHMENT.toString('base64').replace(/.{76}/g, '$&\n'),
    '--b1--',
    '',
  ].join('\n');
}

async function sendOut(to: string, subject: string): Promise<void> {
  const r = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to, data: mailWithAttachment(to, subject), extraArgs: ['--local-interface', TRUSTED] });
  assert.equal(r.code, 0, r.stdout);
}

const notificationsTo = async (address: string) => (await sink.messages()).filter((m) => m.recipients.includes(address) && /^Encrypted message from/.test(m.subject ?? ''));
async function linkIn(m: SinkMessage): Promise<string> {
  const text = (await m.parse()).text ?? '';
  return /(http:\/\/127\.0\.0\.1:\d+\/portal\/open\?t=\S+)/.exec(text)![1];
}
const cookieOf = (r: Response) => (r.headers.get('set-cookie') ?? '').split(';')[0];
const form = (o: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(o), redirect: 'manual' as const });

test('notification, link, password, reading, attachment and reply over real SMTP and HTTP', async () => {
  await sendOut('bob@partner.test', 'Quarterly figures');
  const notification = await waitFor(async () => (await notificationsTo('bob@partner.test'))[0], { timeoutMs: 20_000, what: 'the portal notification' });
  assert.doesNotMatch(notification.raw, /confidential figures|Quarterly figures|figures\.pdf/, 'the notification carries neither content nor subject');
  assert.equal(notification.sender, 'alice@example.test');
  assert.equal((await sink.messages()).filter((m) => m.recipients.includes('bob@partner.test')).length, 1, 'bob gets only the notification');

  const link = await linkIn(notification);
  const first = await fetch(link);
  assert.equal(first.status, 200);
  const firstPage = await first.text();
  assert.match(firstPage, /<label for="password">New password<\/label>/);
  assert.match(firstPage, /<label for="confirm">Repeat the password<\/label>/);

  const t = new URL(link).searchParams.get('t')!;
  const opened = await fetch(`${portalUrl}/portal/open`, form({ t, password: PASSWORD, confirm: PASSWORD }));
  assert.equal(opened.status, 303);
  assert.equal(opened.headers.get('location'), '/portal/read');
  const cookie = cookieOf(opened);
  assert.match(cookie, /^gh_portal=/);

  const read = await fetch(`${portalUrl}/portal/read`, { headers: { cookie } });
  assert.equal(read.status, 200);
  const page = await read.text();
  assert.match(page, /the confidential figures are attached/);
  assert.match(page, /Quarterly figures/);
  assert.match(page, /figures\.pdf/);
  assert.match(page, /<label for="text">Your reply to/);

  const file = await fetch(`${portalUrl}/portal/attachment/0`, { headers: { cookie } });
  assert.equal(file.status, 200);
  assert.match(file.headers.get('content-disposition') ?? '', /attachment; filename="figures\.pdf"/);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), ATTACHMENT);

  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1];
  const noCsrf = await fetch(`${portalUrl}/portal/reply`, { ...form({ csrf: 'forged', text: 'forged reply' }), headers: { cookie } });
  assert.equal(noCsrf.status, 403);
  const replied = await fetch(`${portalUrl}/portal/reply`, { ...form({ csrf, text: 'Thank you, Alice. The figures look right.' }), headers: { cookie } });
  assert.equal(replied.status, 200);
  assert.match(await replied.text(), /Your reply has been sent/);

  const reply = await waitFor(async () => (await sink.messages()).find((m) => m.recipients.includes('alice@example.test') && /^Re: Quarterly figures/.test(m.subject ?? '')), { timeoutMs: 20_000, what: 'the portal reply' });
  assert.equal(reply.sender, 'bob@partner.test');
  const parsed = await reply.parse();
  assert.match(parsed.text ?? '', /The figures look right/);
  assert.equal(reply.headers['in-reply-to']?.[0], '<original-1@example.test>');
  assert.equal((await sink.messages()).filter((m) => /forged reply/.test(m.raw)).length, 0);

  const noSession = await fetch(`${portalUrl}/portal/read`);
  assert.equal(noSession.status, 401);
});

test('an expired link shows a clear page; wrong passwords are refused and rate-limited', async () => {
  await sendOut('bob@partner.test', 'Second report');
  const second = await waitFor(async () => (await notificationsTo('bob@partner.test'))[1], { timeoutMs: 20_000, what: 'the second notification' });
  const link = await linkIn(second);
  const t = new URL(link).searchParams.get('t')!;
  const [portalId] = JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString()) as [string];

  // The same link, signed with the gateway's own key, but with an expiry in the past.
  const fileKey = Buffer.from((await readFile(join(gw.dataDir, 'keys', 'portal.key'), 'utf8')).trim(), 'base64');
  const signer = createLinkSigner(Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'gatehouse portal links v1', 32)));
  const expired = await fetch(`${portalUrl}/portal/open?t=${signer.sign({ mailId: portalId, recipient: 'bob@partner.test', exp: Date.now() - 60_000 })}`);
  assert.equal(expired.status, 410);
  assert.match(await expired.text(), /This link has expired/);
  const tampered = await fetch(`${portalUrl}/portal/open?t=${t.slice(0, -2)}xx`);
  assert.equal(tampered.status, 400);
  assert.match(await tampered.text(), /This link is not valid/);

  const enter = await fetch(link);
  assert.match(await enter.text(), /Enter your portal password/, 'bob has a password already');
  for (let i = 0; i < 3; i++) {
    const wrong = await fetch(`${portalUrl}/portal/open`, form({ t, password: `wrong password ${i}` }));
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /The password is not correct/);
    assert.equal(wrong.headers.get('set-cookie'), null);
  }
  const blocked = await fetch(`${portalUrl}/portal/open`, form({ t, password: PASSWORD }));
  assert.equal(blocked.status, 429, 'past the limit even the right password waits');
  assert.match(await blocked.text(), /Too many wrong passwords/);
  assert.equal(blocked.headers.get('set-cookie'), null);
});

test('the admin API lists portal mails without content, deletes one (its link then says so) and resets a password', async () => {
  const list = await gw.api('GET', '/api/v1/portal/messages?recipient=bob@partner.test');
  assert.equal(list.status, 200);
  const messages = list.json.messages as { id: string; subject: string; state: string; replies: number; password: string }[];
  assert.equal(messages.length, 2);
  const first = messages.find((m) => m.subject === 'Quarterly figures')!;
  assert.deepEqual([first.state, first.replies, first.password], ['opened', 1, 'recipient']);
  assert.doesNotMatch(list.text, /confidential figures/);

  const second = messages.find((m) => m.subject === 'Second report')!;
  const link = await linkIn((await notificationsTo('bob@partner.test'))[1]);
  const del = await gw.api('DELETE', `/api/v1/portal/messages/${second.id}`);
  assert.equal(del.status, 200);
  const gone = await fetch(link);
  assert.equal(gone.status, 410);
  assert.match(await gone.text(), /This message is no longer available/);
  const again = await gw.api('DELETE', `/api/v1/portal/messages/${second.id}`);
  assert.equal(again.status, 404);
  assert.equal(again.json.code, 'PORTAL_NOT_FOUND');

  assert.equal((await gw.api('DELETE', '/api/v1/portal/accounts/bob@partner.test')).status, 200);
  assert.equal((await gw.api('DELETE', '/api/v1/portal/accounts/bob@partner.test')).status, 404);
  const compliance = await gw.api('GET', '/api/v1/compliance?limit=200');
  assert.match(compliance.text, /portal\.delete/);
  assert.match(compliance.text, /portal\.reset-password/);
});
