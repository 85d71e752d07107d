// Replies with files from the encryption portal, end to end: swaks sends an outgoing mail a portal
// policy covers, the test follows the notification link over HTTP, sets a password and posts the
// reply form as multipart/form-data (as a browser does). Two files (one binary) arrive at Postfix's
// smtp-sink as attachments of a multipart/mixed reply with the same bytes; a file over the limit,
// too many files, too much in total (or too much for the gateway's message size once encoded) or a
// forged form get a clear page and send no mail, and leave nothing in the upload spool.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Gateway } from '../helpers/gateway.ts';
import { PORTAL_TRUSTED, startPortalGateway, stopPortalGateway } from '../helpers/portal-gateway.ts';
import type { SinkMessage, SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

const TRUSTED = PORTAL_TRUSTED;
const PASSWORD = 'a long portal password';
const KiB = 1024;
const LIMITS = { maxFileSize: 256 * KiB, maxTotalSize: 400 * KiB, maxFiles: 3 };

let sink: SmtpSink;
let gw: Gateway;
let portalUrl: string;

before(async () => {
  ({ gw, sink, portalUrl } = await startPortalGateway({ portal: { replyUploads: LIMITS }, config: { smtp: { maxMessageSize: 500 * KiB } } }));
});

after(() => stopPortalGateway({ gw, sink }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const spool = () => readdir(join(gw.dataDir, 'tmp', 'portal-replies'));
const repliesTo = async (subject: RegExp) => (await sink.messages()).filter((m) => m.recipients.includes('alice@example.test') && subject.test(m.subject ?? ''));

async function linkIn(m: SinkMessage): Promise<string> {
  return /(http:\/\/127\.0\.0\.1:\d+\/portal\/open\?t=\S+)/.exec((await m.parse()).text ?? '')![1];
}

/** Sends a portal mail to `to`, opens it with the password; gives the session cookie and the read page. */
async function openPortalMail(to: string, subject: string): Promise<{ cookie: string; page: string; csrf: string }> {
  const data = [`From: Alice <alice@example.test>`, `To: <${to}>`, `Subject: ${subject}`, `Message-ID: <${subject.replace(/\W/g, '')}@example.test>`, '', 'Please send the signed forms back.', ''].join('\n');
  const r = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to, data, extraArgs: ['--local-interface', TRUSTED] });
  assert.equal(r.code, 0, r.stdout);
  const note = await waitFor(async () => (await sink.messages()).find((m) => m.recipients.includes(to)), { timeoutMs: 20_000, what: `the notification to ${to}` });
  const t = new URL(await linkIn(note)).searchParams.get('t')!;
  const opened = await fetch(`${portalUrl}/portal/open`, { method: 'POST', body: new URLSearchParams({ t, password: PASSWORD, confirm: PASSWORD }), redirect: 'manual' });
  assert.equal(opened.status, 303);
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0];
  const page = await (await fetch(`${portalUrl}/portal/read`, { headers: { cookie } })).text();
  return { cookie, page, csrf: /name="csrf" value="([^"]+)"/.exec(page)![1] };
}

function replyForm(csrf: string | null, text: string, files: { name: string; type: string; bytes: Buffer }[]): FormData {
  const f = new FormData();
  if (csrf !== null) f.append('csrf', csrf);
  f.append('text', text);
  for (const x of files) f.append('files', new Blob([new Uint8Array(x.bytes)], { type: x.type }), x.name);
  return f;
}

const postReply = (cookie: string, body: FormData) => fetch(`${portalUrl}/portal/reply`, { method: 'POST', body, headers: { cookie } });

test('a reply with two files (one binary) arrives as multipart/mixed with the same bytes', async () => {
  const { cookie, page, csrf } = await openPortalMail('bob@partner.test', 'Forms to sign');
  assert.match(page, /<form method="post" action="\/portal\/reply" enctype="multipart\/form-data"><input type="hidden" name="csrf"/, 'the CSRF token comes first in the form');
  assert.match(page, /<label for="files">Attach files \(optional\)<\/label>/);
  assert.match(page, /At most 3 file\(s\), each up to 256 KiB, together up to 400 KiB/);

  const binary = randomBytes(200 * KiB); // every byte value, CR and LF included: only base64 keeps it
  const text = Buffer.from('Signed: Bob Example\nDatum: 28.11.2026 — ünterschrieben\n', 'utf8');
  const replied = await postReply(
    cookie,
    replyForm(csrf, 'Here are the signed forms, Alice.', [
      { name: 'signed-forms.bin', type: 'application/octet-stream', bytes: binary },
      { name: 'Bestätigung.txt', type: 'text/plain', bytes: text },
    ]),
  );
  assert.equal(replied.status, 200);
  assert.match(await replied.text(), /Your reply with 2 file\(s\) to alice@example\.test is on its way/);

  const reply = await waitFor(async () => (await repliesTo(/^Re: Forms to sign/))[0], { timeoutMs: 20_000, what: 'the reply with files' });
  assert.equal(reply.sender, 'bob@partner.test');
  assert.match(reply.headers['content-type']?.[0] ?? '', /^multipart\/mixed/);
  assert.equal(reply.headers['in-reply-to']?.[0], '<Formstosign@example.test>');
  const parsed = await reply.parse();
  assert.match(parsed.text ?? '', /Here are the signed forms, Alice\./);
  assert.deepEqual(
    parsed.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition, sha256(a.content)]),
    [
      ['signed-forms.bin', 'application/octet-stream', 'attachment', sha256(binary)],
      ['Bestätigung.txt', 'text/plain', 'attachment', sha256(text)],
    ],
  );
  assert.deepEqual(await spool(), [], 'the spooled files are gone once the reply is in the flow');
});

test('over a limit: 413 naming the limit, no mail, nothing left in the spool', async () => {
  const { cookie, csrf } = await openPortalMail('carol@partner.test', 'Limits report');
  const small = (name: string) => ({ name, type: 'application/pdf', bytes: randomBytes(4 * KiB) });

  const oversize = await postReply(cookie, replyForm(csrf, 'one too large', [small('ok.pdf'), { name: 'huge.iso', type: 'application/octet-stream', bytes: randomBytes(LIMITS.maxFileSize + 1) }]));
  assert.equal(oversize.status, 413);
  const oversizePage = await oversize.text();
  assert.match(oversizePage, /<title>The reply is too large<\/title>/);
  assert.match(oversizePage, /Each file may have at most 256 KiB; &#34;huge\.iso&#34; is larger\. Nothing was sent/);

  const tooMany = await postReply(cookie, replyForm(csrf, 'too many', [small('1.pdf'), small('2.pdf'), small('3.pdf'), small('4.pdf')]));
  assert.equal(tooMany.status, 413);
  assert.match(await tooMany.text(), /A reply may carry at most 3 file\(s\)/);

  const tooMuch = await postReply(cookie, replyForm(csrf, 'too much together', [0, 1].map((i) => ({ name: `part-${i}.bin`, type: 'application/octet-stream', bytes: randomBytes(LIMITS.maxFileSize - KiB) }))));
  assert.equal(tooMuch.status, 413);
  assert.match(await tooMuch.text(), /All files together may have at most 400 KiB/);

  // Within the upload limits, but over the gateway's message size once encoded (base64: +1/3).
  const encoded = await postReply(cookie, replyForm(csrf, 'too large encoded', [250, 140].map((k, i) => ({ name: `enc-${i}.bin`, type: 'application/octet-stream', bytes: randomBytes(k * KiB) }))));
  assert.equal(encoded.status, 413);
  assert.match(await encoded.text(), /more than 0\.5 MiB, the most a mail through this gateway may have/);

  // Far over every limit: refused on its Content-Length, before the files are read.
  const flood = await postReply(cookie, replyForm(csrf, 'flood', [{ name: 'flood.bin', type: 'application/octet-stream', bytes: randomBytes(4 * 1024 * KiB) }]));
  assert.equal(flood.status, 413);
  assert.match(await flood.text(), /All files together may have at most 400 KiB/);

  const longText = await fetch(`${portalUrl}/portal/reply`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ csrf, text: 'x'.repeat(300 * KiB) }) });
  assert.equal(longText.status, 413, 'a text-only reply over 256 KiB');
  assert.match(await longText.text(), /larger than 256 KiB\. Nothing was sent/);

  const forged = await postReply(cookie, replyForm('forged-token', 'forged', [small('evil.pdf')]));
  assert.equal(forged.status, 403);
  const noToken = await postReply(cookie, replyForm(null, 'no token', [small('evil.pdf')]));
  assert.equal(noToken.status, 403);
  const noSession = await postReply('gh_portal=nope', replyForm(csrf, 'no session', [small('x.pdf')]));
  assert.equal(noSession.status, 401);

  // A reply that fits still goes through on the same session, and it is the only one that arrives.
  const ok = await postReply(cookie, replyForm(csrf, 'this one fits', [small('fits.pdf')]));
  assert.equal(ok.status, 200);
  await waitFor(async () => (await repliesTo(/^Re: Limits report/)).length === 1 || undefined, { timeoutMs: 20_000, what: 'the reply that fits' });
  const all = await repliesTo(/^Re: Limits report/);
  assert.equal(all.length, 1);
  assert.match((await all[0].parse()).text ?? '', /this one fits/);
  assert.equal((await sink.messages()).filter((m) => /one too large|too many|too much together|too large encoded|flood|forged|no token|no session/.test(m.raw)).length, 0, 'no refused reply was sent, not even in part');
  assert.deepEqual(await spool(), []);
});
