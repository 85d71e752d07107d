// Each rule of the rule layer on real MIME mail: it fires on a mail showing its signal and stays
// silent on a plain, well-formed personal mail (the base below hits none of the spam rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailTokens } from '../bayes/tokens.ts';
import { firstExternalClient, RULES } from './rules.ts';
import { receivedHeader } from '../../smtp-receiver/received-header.ts';

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
  ['HTML_LINK_MISMATCH', { html: '<p>Sign in to your bank at <a href="http://198.51.100.7/login">https://www.bank.example.com/login</a> today to keep your account open; we have noticed some unusual activity on it this week.</p>' }],
  ['HTML_HIDDEN_TEXT', { html: '<p>Great news for you today, read on.</p><div style="display:none">meeting agenda notes project</div>' }],
  ['HTML_ACTIVE_CONTENT', { html: '<p>Fill in your details</p><form action="http://x.example.com/"><input name=card></form>' }],
  ['URI_NUMERIC_IP', { body: 'See http://203.0.113.9/offer for details.' }],
  ['URI_OBFUSCATED', { body: 'Log in at http://www.bank.example.com@evil.example.net/ now.' }],
  ['URI_MANY_SITES', { body: 'Links: http://a.example.com/ http://b.example.net/ http://c.example.org/ http://d.example.info/ http://e.example.biz/' }],
  ['URI_WEIRD_PORT', { body: 'Your prize: http://win.example.com:8181/claim' }],
  ['SUBJ_ALL_CAPS', { headers: { Subject: 'MAKE MONEY FAST TODAY' } }],
  ['RCVD_DIRECT_MUA', { headers: { 'X-Mailer': 'Microsoft Outlook Express 6.00.2900.2180', 'X-MimeOLE': 'Produced By Microsoft MimeOLE V6.00.2900.2180', Received: 'from home.example.org (home.example.org [198.51.100.17]) by mx.example.net (Postfix) with ESMTP id 4F; Sat, 28 Nov 2026 10:00:05 +0000' } }],
  ['RCVD_HELO_BOGUS', { headers: { Received: 'from friend (0x50a140c3.adsl-dhcp.example.dk [198.51.100.195]) by mx.example.net (8.13.8/8.13.8) with ESMTP id l38H; Sat, 28 Nov 2026 10:00:05 +0000' } }],
  ['SUBJ_TRAILING_ID', { headers: { Subject: 'Your offer is waiting       xk29sd' } }],
  ['SUBJ_REPLY', { headers: { Subject: 'Re: Notes from the meeting', 'In-Reply-To': '<x@mail.example.net>' } }],
  ['BODY_CAPS', { body: 'THIS IS THE BEST OFFER YOU WILL EVER SEE AND YOU MUST ACT NOW BEFORE IT IS GONE FOREVER AND EVER, WE MEAN IT, REALLY THIS TIME.' }],
  ['BODY_EXCLAIM', { body: 'Amazing!! Unbelievable!! Read on!!' }],
  ['BODY_OBFUSCATED', { body: 'Get your V-I-A-G-R-A here today.' }],
  ['HTML_WORD_SPLIT', { html: '<p>Cheap vi<!-- x -->agra and more for everyone who reads this today.</p>' }],
  ['BODY_SPAM_PHRASES', { body: 'Dear friend, work from home and earn extra income.' }],
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
  ['HDR_FROM_ENDS_IN_NUMS', { headers: { From: 'Jane <jane4821@example.org>' } }],
  ['HDR_OUTLOOK_FORGED', { headers: { 'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000' } }],
  ['HDR_FREEMAIL_FORGED', { headers: { From: 'Jane Doe <jane.doe@hotmail.com>' } }],
  ['HDR_REPLY_TO_FREEMAIL', { headers: { 'Reply-To': 'claims.office@yahoo.com' } }],
  ['HDR_FROM_DOMAIN_DIGITS', { headers: { From: 'Sales <sales@deals4u2003.com>' } }],
  ['HDR_MANY_RECIPIENTS', { headers: { To: Array.from({ length: 10 }, (_, i) => `user${i}@site${i}.example`).join(', ') } }],
  ['HDR_DATE_ODD', { headers: { Date: 'Saturday 28 November 2026 10:00' } }],
  ['HDR_LIST', { headers: { 'List-Id': 'Project talk <talk.lists.example.org>' } }],
  ['HDR_IN_REPLY_TO', { headers: { 'In-Reply-To': '<x@mail.example.net>' } }],
  ['HDR_MID_SAME_SITE', {}],
  ['URI_SENDER_SITE', { body: 'The minutes are at https://wiki.example.org/minutes/28 as usual.' }],
  ['RCVD_DYNAMIC', { headers: { Received: 'from pc1 (adsl-203-0-113-9.dsl.isp.example [203.0.113.9]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } }],
  ['RCVD_SENDER_SITE', {}],
  ['HDR_RETURN_PATH_SAME_SITE', { headers: { 'Return-Path': '<bounces@lists.example.org>' } }],
];

test('every rule has a case here', () => {
  assert.deepEqual(new Set(CASES.map(([n]) => n)), new Set(RULES.filter((r) => r.name !== 'MIME_BASE64_TEXT' && r.name !== 'MIME_ALT_DIFFERS').map((r) => r.name)));
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
  // 8-bit text is what base64 is for: a UTF-8 part so encoded (as most mail programs send it) is no sign.
  const utf8 = Buffer.from(`From: A <a@example.org>\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('<p>Grüße aus Köln, bis Montag — Jürgen</p>').toString('base64')}\r\n`);
  assert.ok(!(await mailTokens(utf8)).rules.includes('MIME_BASE64_TEXT'));
  // In a multipart mail, the ASCII part in base64 is found among others.
  const multi = Buffer.from(
    ['From: A <a@example.org>', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=us-ascii', '', 'plain words', '--b', 'Content-Type: text/html; charset="iso-8859-1"', 'Content-Transfer-Encoding: base64', '', b64, '--b--', ''].join('\r\n'),
  );
  assert.ok((await mailTokens(multi)).rules.includes('MIME_BASE64_TEXT'));
});

test('MIME_ALT_DIFFERS fires when the text and HTML versions say different things, not when they agree', async () => {
  const alt = (text: string, html: string) =>
    Buffer.from(['From: A <a@example.org>', 'Subject: x', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary=b', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', text, '--b', 'Content-Type: text/html; charset=utf-8', '', html, '--b--', ''].join('\r\n'));
  const notes = 'Here are the notes of the meeting we had today about the budget, the schedule and the new office.';
  assert.ok(!(await mailTokens(alt(notes, `<p>${notes}</p>`))).rules.includes('MIME_ALT_DIFFERS'));
  const lure = '<p>Cheap watches, replica bags and pills shipped overnight, order with your credit card before midnight</p>';
  assert.ok((await mailTokens(alt(notes, lure))).rules.includes('MIME_ALT_DIFFERS'));
});

test('sender rules: a free-mail sender relayed by its provider, Outlook Express for Macintosh, a named zone are no sign', async () => {
  const viaProvider = await hits({ headers: { From: 'Jane <jane.doe@hotmail.com>', Received: 'from mail.hotmail.com (mail.hotmail.com [192.0.2.5]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } });
  assert.ok(!viaProvider.includes('HDR_FREEMAIL_FORGED'), viaProvider.join(' '));
  // Providers send from other sites than their address domain: Gmail from google.com, Outlook.com from outlook.com.
  const gmail = await hits({ headers: { From: 'Jane <jane.doe@gmail.com>', Received: 'from mail-wr1-f41.google.com (mail-wr1-f41.google.com [192.0.2.41]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } });
  assert.ok(!gmail.includes('HDR_FREEMAIL_FORGED'), gmail.join(' '));
  const live = await hits({ headers: { From: 'Jane <jane.doe@live.com>', Received: 'from EUR05-DB8-obe.outbound.protection.outlook.com (mail-db8eur05olkn2040.outbound.protection.outlook.com [192.0.2.40]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } });
  assert.ok(!live.includes('HDR_FREEMAIL_FORGED'), live.join(' '));
  assert.ok(!(await hits({ headers: { 'X-Mailer': 'Microsoft Outlook Express Macintosh Edition - 4.5 (0410)' } })).includes('HDR_OUTLOOK_FORGED'));
  assert.ok(!(await hits({ headers: { 'X-Mailer': 'Microsoft Outlook Express 6.00.2600.0000', 'X-MimeOLE': 'Produced By Microsoft MimeOLE V6.00.2600.0000' } })).includes('HDR_OUTLOOK_FORGED'));
  assert.ok(!(await hits({ headers: { Date: 'Sat, 28 Nov 2026 10:00:00 GMT' } })).includes('HDR_DATE_ODD'));
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
  // Dates, issue and order numbers end wanted subjects; RFC 5322 allows a Message-ID host without a dot.
  for (const Subject of ['Weekly digest - April 16, 2007', 'FOX 411', 'Your order #48213']) assert.ok(!(await hits({ headers: { Subject } })).includes('SUBJ_TRAILING_ID'), Subject);
  assert.ok(!(await hits({ headers: { 'Message-ID': '<16679063.1176863001745.JavaMail.Administrator@ap7>' } })).includes('HDR_MID_ODD'));
  const relayed = await hits({ headers: { Received: 'from mail.other.example.com (mail.other.example.com [192.0.2.1]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000' } });
  assert.ok(!relayed.includes('RCVD_SENDER_SITE') && !relayed.includes('RCVD_DYNAMIC'), relayed.join(' '));
});

test('RCVD_HELO_BOGUS reads the greeting of the first client outside the site, in the common Received: forms', async () => {
  const client = (...lines: string[]) => firstExternalClient(lines.map((l) => `Received: ${l}`));
  // Ours / Sendmail / Postfix, Exim, qmail; hops from loopback or private addresses are passed over.
  assert.deepEqual(client('from friend (localhost [127.0.0.1]) by mx.example.net', 'from mail.example.org (mail.example.org [203.0.113.9]) by relay.example.net'), { helo: 'mail.example.org', ip: '203.0.113.9', direct: true });
  assert.deepEqual(client('from [198.51.100.7] (helo=zvzyz) by mx.example.net with smtp (Exim 4.43)'), { helo: 'zvzyz', ip: '198.51.100.7', direct: true });
  assert.deepEqual(client('from 198.51.100.8 (HELO mail.example.com) by mx.example.net with esmtp'), { helo: 'mail.example.com', ip: '198.51.100.8', direct: true });
  assert.equal(client('from mail.internal (mail.internal [10.1.2.3]) by mx.example.net'), null);
  // Greeting as the receiving site's own server does not make a hop internal: only the names found for the client count.
  assert.deepEqual(client('from mx2.example.net ([198.51.100.66]) by mx.example.net'), { helo: 'mx2.example.net', ip: '198.51.100.66', direct: true });
  // A relay of the receiving site itself is passed over; the hop below it is the client.
  assert.deepEqual(client('from relay2.example.net (relay2.example.net [192.0.2.80]) by mx.example.net', 'from pc17 (dsl-17.example.org [198.51.100.17]) by relay2.example.net'), { helo: 'pc17', ip: '198.51.100.17', direct: true });
  const bogus = async (Received: string) => (await hits({ headers: { Received } })).includes('RCVD_HELO_BOGUS');
  assert.equal(await bogus('from localhost ([198.51.100.9]) by mx.example.net with SMTP; Sat, 28 Nov 2026 10:00:05 +0000'), true);
  // A mail program's mail that passed its provider's server first is not "direct".
  const viaProvider = await hits({ headers: { 'User-Agent': 'Mozilla Thunderbird', Received: 'from smtp.provider.example (smtp.provider.example [192.0.2.25]) by mx.example.net; Sat, 28 Nov 2026 10:00:05 +0000\r\nReceived: from [192.168.1.20] (dsl-17.provider.example [198.51.100.17]) by smtp.provider.example; Sat, 28 Nov 2026 10:00:01 +0000' } });
  assert.ok(!viaProvider.includes('RCVD_DIRECT_MUA'), viaProvider.join(' '));
  assert.equal(await bogus('from 198.51.100.9 ([198.51.100.9]) by mx.example.net with SMTP; Sat, 28 Nov 2026 10:00:05 +0000'), true);
  // An address literal is what RFC 5321 asks of a client without a name; a FQDN is fine.
  assert.equal(await bogus('from [198.51.100.9] ([198.51.100.9]) by mx.example.net with SMTP; Sat, 28 Nov 2026 10:00:05 +0000'), false);
  assert.equal(await bogus(receivedHeader({ helo: 'mail-ed1-f54.google.com', clientIp: '209.85.208.54', hostname: 'mx.example.net', protocol: 'ESMTPS', id: 'x1' }).slice('Received: '.length).replace(/\r\n\t/g, ' ').trim()), false);
  assert.equal(await bogus(receivedHeader({ helo: 'DESKTOP-4F2K', clientIp: '198.51.100.10', hostname: 'mx.example.net', protocol: 'ESMTP', id: 'x2' }).slice('Received: '.length).replace(/\r\n\t/g, ' ').trim()), true);
});
