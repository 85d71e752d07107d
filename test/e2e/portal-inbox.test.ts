// The encryption portal for a recipient with several mails, end to end over real SMTP and HTTP:
// signed in with their portal password, the recipient sees all their mails (from, subject, when it
// arrived, until when it is kept), opens and answers another one without a second password, but a
// mail whose password came from the sender (another channel) still asks for that password, and
// another recipient's mail stays closed. Attachments are downloads with their declared type, and a
// hostile file name is shown as text, never as markup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../helpers/gateway.ts';
import { PORTAL_TRUSTED, startPortalGateway, stopPortalGateway } from '../helpers/portal-gateway.ts';
import type { SinkMessage, SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

const TRUSTED = PORTAL_TRUSTED;
const PASSWORD = 'daves own portal password';
const SENDER_PASSWORD = 'told you by phone 4711';
const XSS_NAME = '<img src=x onerror=alert(1)>.html';
const XSS_FILE = Buffer.from('<script>alert(document.cookie)</script>');

let sink: SmtpSink;
let gw: Gateway;
let portalUrl: string;

before(async () => {
  ({ gw, sink, portalUrl } = await startPortalGateway({ portal: { linkTtl: '7d' } }));
});

after(() => stopPortalGateway({ gw, sink }));

const notificationsTo = async (to: string) => (await sink.messages()).filter((m) => m.recipients.includes(to) && /^Encrypted message from/.test(m.subject ?? ''));

/** Sends one portal mail and gives back its notification. */
async function send(to: string, subject: string, opts: { attachment?: boolean; senderPassword?: string } = {}): Promise<SinkMessage> {
  const before = (await notificationsTo(to)).length;
  const head = ['From: Alice <alice@example.test>', `To: <${to}>`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`, 'MIME-Version: 1.0'];
  if (opts.senderPassword) head.push(`X-Portal-Password: ${opts.senderPassword}`);
  const body = opts.attachment
    ? ['Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', `This is ${subject}.`, '--b1', `Content-Type: text/html; name="${XSS_NAME}"`, `Content-Disposition: attachment; filename="${XSS_NAME}"`, 'Content-Transfer-Encoding: base64', '', XSS_FILE.toString('base64'), '--b1--', '']
    : ['Content-Type: text/plain', '', `This is ${subject}.`, ''];
  const r = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to, data: [...head, ...body].join('\n'), extraArgs: ['--local-interface', TRUSTED] });
  assert.equal(r.code, 0, r.stdout);
  return waitFor(async () => (await notificationsTo(to))[before], { timeoutMs: 20_000, what: `the notification for ${subject}` });
}

const tokenIn = async (m: SinkMessage) => new URL(/(http:\/\/127\.0\.0\.1:\d+\/portal\/open\?t=\S+)/.exec((await m.parse()).text ?? '')![1]).searchParams.get('t')!;
const open = (t: string, password: string, confirm?: string) =>
  fetch(`${portalUrl}/portal/open`, { method: 'POST', body: new URLSearchParams({ t, password, ...(confirm ? { confirm } : {}) }), redirect: 'manual' });
const get = (path: string, cookie: string) => fetch(`${portalUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
const cookieOf = (r: Response) => (r.headers.get('set-cookie') ?? '').split(';')[0];

test('several mails: one password lists and opens them all, a sender-password mail asks for its own, attachments are safe downloads', async () => {
  const first = await send('dave@partner.test', 'Contract draft', { attachment: true });
  await send('dave@partner.test', 'Price list');
  const fromPhone = await send('dave@partner.test', 'Bank details', { senderPassword: SENDER_PASSWORD });
  await send('erin@partner.test', 'For Erin only');
  assert.match((await first.parse()).text ?? '', /On your first visit you choose a password/);
  const phoneText = (await fromPhone.parse()).text ?? '';
  assert.match(phoneText, /the password the sender gives you through another channel/);
  assert.doesNotMatch(fromPhone.raw, new RegExp(SENDER_PASSWORD));

  // The first link: set the password, read.
  const opened = await open(await tokenIn(first), PASSWORD, PASSWORD);
  assert.equal(opened.status, 303);
  const cookie = cookieOf(opened);
  const read = await get('/portal/read', cookie);
  assert.equal(read.status, 200);
  const page = await read.text();
  assert.match(page, /This is Contract draft\./);
  assert.match(page, /<a href="\/portal\/messages">All your messages<\/a> \(2 more\)/);
  assert.match(page, /This message is kept in the portal until [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT; after that it is deleted/);
  // The hostile file name is text in the page; the attachment is a download of its declared type that cannot run here.
  assert.doesNotMatch(page, /<img src=x/);
  assert.match(page, /&#60;img src=x onerror=alert\(1\)&#62;\.html<\/a> \(text\/html, /);
  const href = /href="(\/portal\/attachment\/0\?m=[^"]+)"/.exec(page)![1];
  const file = await get(href, cookie);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'text/html');
  assert.equal(file.headers.get('content-disposition'), `attachment; filename="${XSS_NAME}"; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.html`);
  assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
  assert.match(file.headers.get('content-security-policy') ?? '', /sandbox/);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), XSS_FILE);

  // The list: all three of dave's mails (not erin's), newest first, with when each is kept until.
  const list = await get('/portal/messages', cookie);
  assert.equal(list.status, 200);
  const listPage = await list.text();
  assert.match(listPage, /<caption>3 message\(s\) for dave@partner\.test<\/caption>/);
  assert.deepEqual([...listPage.matchAll(/<a href="[^"]+">([^<]+)<\/a>/g)].map((x) => x[1]), ['Bank details', 'Price list', 'Contract draft']);
  assert.doesNotMatch(listPage, /For Erin only/);
  assert.match(listPage, /needs the sender&#39;s password/);

  // A new mail after the password is set: its notification asks for that password, not a new one.
  const later = await send('dave@partner.test', 'Invoice');
  assert.match((await later.parse()).text ?? '', /Open it with your portal password; signed in, you also see your other messages there\./);

  // Another mail from the list opens without a second password, and can be answered.
  const priceHref = /<a href="(\/portal\/read\?m=[^"]+)">Price list<\/a>/.exec(listPage)![1];
  const price = await get(priceHref, cookie);
  assert.equal(price.status, 200);
  const pricePage = await price.text();
  assert.match(pricePage, /This is Price list\./);
  const csrf = /name="csrf" value="([^"]+)"/.exec(pricePage)![1];
  const m = /name="m" value="([^"]+)"/.exec(pricePage)![1];
  const reply = await fetch(`${portalUrl}/portal/reply`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ csrf, m, text: 'The prices are fine.' }) });
  assert.equal(reply.status, 200);
  const arrived = await waitFor(async () => (await sink.messages()).find((x) => x.recipients.includes('alice@example.test') && /^Re: Price list/.test(x.subject ?? '')), { timeoutMs: 20_000, what: 'the reply to the price list' });
  assert.equal(arrived.headers['in-reply-to']?.[0], '<Pricelist@example.test>');

  const api = (await gw.api('GET', '/api/v1/portal/messages?recipient=dave@partner.test')).json.messages as { id: string; subject: string; state: string; password: string }[];
  const bySubject = new Map(api.map((x) => [x.subject, x]));
  assert.deepEqual([bySubject.get('Price list')!.state, bySubject.get('Price list')!.password], ['opened', 'recipient'], 're-wrapped under the password when opened from the list');
  assert.equal(bySubject.get('Bank details')!.state, 'waiting');

  // The sender-password mail does not open with dave's portal password session, nor does erin's mail.
  const bank = bySubject.get('Bank details')!;
  const refused = await get(`/portal/read?m=${bank.id}`, cookie);
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /open the link in its notification mail/);
  const erinId = ((await gw.api('GET', '/api/v1/portal/messages?recipient=erin@partner.test')).json.messages as { id: string }[])[0].id;
  const erins = await get(`/portal/read?m=${erinId}`, cookie);
  assert.equal(erins.status, 410);
  assert.doesNotMatch(await erins.text(), /For Erin only/);

  // Its link from the list asks for the sender's password, which opens that one mail only.
  const bankHref = /<a href="(\/portal\/open\?t=[^"]+)">Bank details<\/a>/.exec(listPage)![1].replace(/&#38;/g, '&');
  assert.match(await (await get(bankHref, '')).text(), /Enter the password the sender gave you/);
  assert.equal((await open(new URL(bankHref, portalUrl).searchParams.get('t')!, PASSWORD)).status, 401, "dave's portal password does not open it");
  const bankOpened = await open(new URL(bankHref, portalUrl).searchParams.get('t')!, SENDER_PASSWORD);
  assert.equal(bankOpened.status, 303);
  const phoneCookie = cookieOf(bankOpened);
  const bankPage = await (await get('/portal/read', phoneCookie)).text();
  assert.match(bankPage, /This is Bank details\./);
  assert.doesNotMatch(bankPage, /All your messages/);
  assert.equal((await get('/portal/messages', phoneCookie)).status, 403);
  assert.equal((await get(priceHref, phoneCookie)).status, 403, "the sender's password opens nothing else");
});
