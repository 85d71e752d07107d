// Each rule of the rule layer on real MIME mail: it fires on a mail showing its signal and stays
// silent on a plain, well-formed personal mail (the base below hits none of the spam rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailTokens } from '../bayes/tokens.ts';
import { RULES } from './rules.ts';

interface Parts {
  headers?: Record<string, string | null>;
  body?: string;
  html?: string;
}

const BASE_HEADERS: Record<string, string> = {
  From: 'Alice Example <alice@example.org>',
  To: 'bob@example.net',
  Subject: 'Notes from the meeting',
  Date: 'Sat, 28 Nov 2026 10:00:00 +0000',
  'Message-ID': '<abc.123@mail.example.org>',
  Received: 'from mail.example.org by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000',
};

function mail(p: Parts = {}): Buffer {
  const h = { ...BASE_HEADERS, ...p.headers };
  const lines = Object.entries(h).flatMap(([k, v]) => (v === null ? [] : [`${k}: ${v}`]));
  if (p.html !== undefined) lines.push('MIME-Version: 1.0', 'Content-Type: text/html; charset=utf-8');
  return Buffer.from([...lines, '', p.html ?? p.body ?? 'Hello Bob, here are the notes of the meeting we had today.', ''].join('\r\n'));
}

const hits = async (p?: Parts) => (await mailTokens(mail(p))).rules;

test('the base mail hits no spam rule', async () => {
  const spammy = new Set(RULES.filter((r) => r.spammy).map((r) => r.name));
  assert.deepEqual((await hits()).filter((n) => spammy.has(n)), []);
});

const CASES: [string, Parts][] = [
  ['HTML_IMAGE_ONLY', { html: '<html><body><a href="http://shop.example.com/"><img src="http://shop.example.com/offer.gif"></a></body></html>' }],
  ['HTML_LINK_MISMATCH', { html: '<p>Sign in to your bank at <a href="http://198.51.100.7/login">https://www.bank.example.com/login</a> today to keep your account open; we have noticed some unusual activity on it this week.</p>' }],
  ['HTML_HIDDEN_TEXT', { html: '<p>Great news for you today, read on.</p><div style="display:none">meeting agenda notes project</div>' }],
  ['HTML_ACTIVE_CONTENT', { html: '<p>Fill in your details</p><form action="http://x.example.com/"><input name=card></form>' }],
  ['URI_NUMERIC_IP', { body: 'See http://203.0.113.9/offer for details.' }],
  ['URI_OBFUSCATED', { body: 'Log in at http://www.bank.example.com@evil.example.net/ now.' }],
  ['URI_MANY_SITES', { body: 'Links: http://a.example.com/ http://b.example.net/ http://c.example.org/ http://d.example.info/ http://e.example.biz/' }],
  ['SUBJ_ALL_CAPS', { headers: { Subject: 'MAKE MONEY FAST TODAY' } }],
  ['SUBJ_EXCLAIM', { headers: { Subject: 'You won!' } }],
  ['SUBJ_MONEY', { headers: { Subject: 'Save 50% on everything' } }],
  ['SUBJ_TRAILING_ID', { headers: { Subject: 'Your offer is waiting       xk29sd' } }],
  ['SUBJ_REPLY', { headers: { Subject: 'Re: Notes from the meeting', 'In-Reply-To': '<x@mail.example.net>' } }],
  ['BODY_CAPS', { body: 'THIS IS THE BEST OFFER YOU WILL EVER SEE AND YOU MUST ACT NOW BEFORE IT IS GONE FOREVER AND EVER, WE MEAN IT, REALLY THIS TIME.' }],
  ['BODY_EXCLAIM', { body: 'Amazing!! Unbelievable!! Read on!!' }],
  ['BODY_OBFUSCATED', { body: 'Get your V-I-A-G-R-A here today.' }],
  ['BODY_SPAM_PHRASES', { body: 'Click here to order now, no obligation.' }],
  ['BODY_SPAM_PHRASES_MANY', { body: 'Dear friend, click here, act now, limited time, no obligation, risk free, order now.' }],
  ['BODY_QUOTED_REPLY', { body: 'Fine by me.\n\n> Shall we meet at ten?\n> Alice\n' }],
  ['BODY_SIGNATURE', { body: 'See you tomorrow.\n-- \nAlice\n' }],
  ['PGP_SIGNED', { body: '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhello\n' }],
  ['HDR_MISSING_DATE', { headers: { Date: null } }],
  ['HDR_MISSING_MID', { headers: { 'Message-ID': null } }],
  ['HDR_MID_ODD', { headers: { 'Message-ID': '<20261128100000>' } }],
  ['HDR_TO_UNDISCLOSED', { headers: { To: 'undisclosed-recipients:;' } }],
  ['HDR_DATE_FUTURE', { headers: { Date: 'Mon, 30 Nov 2026 10:00:00 +0000' } }],
  ['HDR_DATE_PAST', { headers: { Date: 'Sat, 21 Nov 2026 10:00:00 +0000' } }],
  ['HDR_REPLY_TO_OTHER', { headers: { 'Reply-To': 'claims@elsewhere.example.com' } }],
  ['HDR_PRIORITY_HIGH', { headers: { 'X-Priority': '1 (Highest)' } }],
  ['HDR_FROM_NO_NAME', { headers: { From: 'alice@example.org' } }],
  ['HDR_LIST', { headers: { 'List-Id': 'Project talk <talk.lists.example.org>' } }],
  ['HDR_IN_REPLY_TO', { headers: { 'In-Reply-To': '<x@mail.example.net>' } }],
  ['HDR_MID_SAME_SITE', {}],
  ['URI_SENDER_SITE', { body: 'The minutes are at https://wiki.example.org/minutes/28 as usual.' }],
  ['RCVD_DYNAMIC', { headers: { Received: 'from pc1 (adsl-203-0-113-9.dsl.isp.example [203.0.113.9]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } }],
  ['RCVD_SENDER_SITE', {}],
  ['HDR_RETURN_PATH_SAME_SITE', { headers: { 'Return-Path': '<bounces@lists.example.org>' } }],
];

test('every rule has a case here', () => {
  assert.deepEqual(new Set(CASES.map(([n]) => n)), new Set(RULES.filter((r) => r.name !== 'MIME_BASE64_TEXT').map((r) => r.name)));
});

for (const [name, parts] of CASES) {
  test(`${name} fires on its signal`, async () => {
    const got = await hits(parts);
    assert.ok(got.includes(name), `${name} not in ${got.join(' ')}`);
  });
}

test('MIME_BASE64_TEXT fires on a base64 text part, not on a base64 attachment', async () => {
  const b64 = Buffer.from('Buy cheap watches now').toString('base64');
  const text = Buffer.from(`From: A <a@example.org>\r\nSubject: x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`);
  assert.ok((await mailTokens(text)).rules.includes('MIME_BASE64_TEXT'));
  const att = Buffer.from(
    ['From: A <a@example.org>', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary=b', '', '--b', 'Content-Type: text/plain', '', 'see attached', '--b', 'Content-Type: text/plain; name=a.txt', 'Content-Disposition: attachment; filename=a.txt', 'Content-Transfer-Encoding: base64', '', b64, '--b--', ''].join('\r\n'),
  );
  assert.ok(!(await mailTokens(att)).rules.includes('MIME_BASE64_TEXT'));
});

test('HDR_RETURN_PATH_SAME_SITE reads the envelope sender when the mail has no Return-Path: yet (on arrival)', async () => {
  assert.ok(!(await mailTokens(mail())).rules.includes('HDR_RETURN_PATH_SAME_SITE'));
  assert.ok((await mailTokens(mail(), { envelopeSender: 'alice@example.org' })).rules.includes('HDR_RETURN_PATH_SAME_SITE'));
  assert.ok(!(await mailTokens(mail(), { envelopeSender: 'x@elsewhere.example.com' })).rules.includes('HDR_RETURN_PATH_SAME_SITE'));
});

test('rules stay silent where their signal is absent', async () => {
  const none = await hits();
  for (const n of ['HDR_LIST', 'HDR_IN_REPLY_TO', 'SUBJ_REPLY', 'BODY_SIGNATURE', 'HTML_LINK_MISMATCH', 'URI_NUMERIC_IP']) assert.ok(!none.includes(n), n);
  // A link whose text shows the same site it leads to is no mismatch.
  const same = await hits({ html: '<p>Read it at <a href="https://news.example.com/a/1">https://www.example.com/a/1</a> when you have the time to look at it, thanks.</p>' });
  assert.ok(!same.includes('HTML_LINK_MISMATCH'), same.join(' '));
  assert.ok(!(await hits({ headers: { Subject: 'Meeting at 10' } })).includes('SUBJ_TRAILING_ID'));
  const relayed = await hits({ headers: { Received: 'from mail.other.example.com (mail.other.example.com [192.0.2.1]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } });
  assert.ok(!relayed.includes('RCVD_SENDER_SITE') && !relayed.includes('RCVD_DYNAMIC'), relayed.join(' '));
});
