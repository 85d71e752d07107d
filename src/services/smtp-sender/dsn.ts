// Builds delivery status notifications (RFC 3464 multipart/report): the bounce for failed
// recipients and the delay notice for deferred ones, with the original (or its headers) attached.
// The result is a ready GeneratedMail from the null sender; a null-sender mail never gets one.
import { randomBytes, randomUUID } from 'node:crypto';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import type { Envelope, GeneratedMail } from '../../core/mail.ts';
import { DSN_FULL_LIMIT, headerEnd, type DsnOriginal } from './original.ts';

export interface DsnRecipient {
  address: string;
  /** ORCPT as given at RCPT TO ("rfc822;user@example.org", xtext). */
  orcpt?: string;
  action: 'failed' | 'delayed';
  /** Enhanced status code, x.y.z. */
  status: string;
  /** The remote server's reply (Diagnostic-Code: smtp; ...). */
  diagnostic?: string;
  /** Our own explanation when there is no remote reply (DNS, routing, expiry). */
  reason?: string;
  /** Host name of the server that gave the reply. */
  remoteMta?: string;
  lastAttempt?: number;
}

export interface DsnInput {
  hostname: string;
  /** The original's return path: the DSN goes there. Must not be "". */
  sender: string;
  recipients: DsnRecipient[];
  arrivalDate: number;
  now: number;
  /** The original: whole, or only its headers (see readOriginal). */
  original: DsnOriginal;
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Queue id of the original, for the admin reading the report. */
  mailId?: string;
  /** Delay notices: when we give up. */
  retryUntil?: number;
}

/** Builds the DSN for `input.recipients`; throws for the null sender (never bounce a bounce). */
export function buildDsn(input: DsnInput): GeneratedMail {
  if (!input.sender) throw new RangeError('a DSN is never sent to the null sender');
  if (!input.recipients.length) throw new RangeError('a DSN needs at least one recipient');
  const failed = input.recipients.some((r) => r.action === 'failed');
  const original = originalPart(input);
  let boundary = `=_gatehouse-report-${randomBytes(12).toString('hex')}`;
  while (original.content.includes(boundary)) boundary = `=_gatehouse-report-${randomBytes(12).toString('hex')}`;

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${input.hostname}>`,
    `To: <${input.sender}>`,
    `Subject: ${failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)'}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: <${randomUUID()}@${input.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="${boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
  ];
  const parts: (string | Buffer)[] = [head.join('\r\n')];
  const add = (headers: string[], body: string | Buffer) => {
    parts.push(`\r\n--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`, body);
  };
  add(...humanPart(input, failed));
  add(['Content-Type: message/delivery-status', 'Content-Transfer-Encoding: 7bit'], statusFields(input));
  add(
    [
      `Content-Type: ${original.headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
      `Content-Description: ${original.headersOnly ? 'Headers of the undelivered message' : 'Undelivered message'}`,
      `Content-Transfer-Encoding: ${transferEncoding(original.content)}`,
    ],
    original.content,
  );
  parts.push(`\r\n--${boundary}--\r\n`);

  const envelope: Envelope = {
    sender: '',
    recipients: [{ address: input.sender, status: 'pending' }],
    direction: 'outbound',
    source: 'bounce',
    ...(input.mailId ? { meta: { dsnFor: input.mailId } } : {}),
  };
  return { envelope, body: Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))) };
}

function humanPart(input: DsnInput, failed: boolean): [string[], string] {
  const lines = [`This is the mail system at host ${input.hostname}.`, ''];
  if (failed) {
    lines.push(
      "I'm sorry to have to inform you that your message could not be delivered",
      'to one or more recipients. It is attached below.',
      '',
    );
  } else {
    lines.push(
      '####################################################################',
      '# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #',
      '####################################################################',
      '',
      'Your message could not be delivered yet to the recipients below.',
      input.retryUntil ? `The mail system will keep trying until ${rfc5322Date(input.retryUntil)}.` : 'The mail system will keep trying.',
      '',
    );
  }
  for (const r of input.recipients) {
    const said = r.diagnostic ? `${r.remoteMta ? `host ${r.remoteMta} said: ` : ''}${r.diagnostic}` : '';
    const why = [r.reason, said].filter(Boolean).join('; ') || r.status;
    lines.push(`<${r.address}>: ${r.action === 'failed' ? '' : '(delayed) '}${why}`);
  }
  const text = lines.join('\r\n') + '\r\n';
  // 7bit only when it is plain ASCII in short lines; otherwise quoted-printable keeps it 7bit-safe.
  const plain = /^[\x20-\x7e\r\n]*$/.test(text) && text.split('\r\n').every((l) => l.length <= 76);
  const headers = [`Content-Type: text/plain; charset=${plain ? 'us-ascii' : 'utf-8'}`, 'Content-Description: Notification'];
  if (plain) return [[...headers, 'Content-Transfer-Encoding: 7bit'], text];
  return [[...headers, 'Content-Transfer-Encoding: quoted-printable'], qpWrap(qpEncode(Buffer.from(text, 'utf8')), 76).replace(/\r?\n/g, '\r\n')];
}

function statusFields(input: DsnInput): string {
  const msg = [field('Reporting-MTA', `dns; ${input.hostname}`)];
  if (input.mailId) msg.push(field('X-Gatehouse-Queue-ID', input.mailId));
  if (input.envid) msg.push(field('Original-Envelope-Id', xtextDecode(input.envid)));
  msg.push(field('Arrival-Date', rfc5322Date(input.arrivalDate)));
  const blocks = [msg.join('\r\n')];
  for (const r of input.recipients) {
    const f = [field('Final-Recipient', `rfc822; ${r.address}`)];
    // RFC 3464 2.3.1: only when the sender gave an ORCPT.
    if (r.orcpt) f.push(field('Original-Recipient', originalRecipient(r.orcpt)));
    f.push(field('Action', r.action), field('Status', r.status));
    if (r.remoteMta) f.push(field('Remote-MTA', `dns; ${r.remoteMta}`));
    if (r.diagnostic) f.push(field('Diagnostic-Code', `smtp; ${r.diagnostic}`));
    else if (r.reason) f.push(field('Diagnostic-Code', `X-Gatehouse; ${r.reason}`));
    if (r.lastAttempt) f.push(field('Last-Attempt-Date', rfc5322Date(r.lastAttempt)));
    if (r.action === 'delayed' && input.retryUntil) f.push(field('Will-Retry-Until', rfc5322Date(input.retryUntil)));
    blocks.push(f.join('\r\n'));
  }
  return blocks.join('\r\n\r\n') + '\r\n';
}

/** One header-style field, ASCII only, folded at spaces before 78 columns where it can be. */
function field(name: string, value: string): string {
  const clean = value
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 900)
    .trim();
  let out = `${name}:`;
  let col = out.length;
  for (const word of clean.split(' ')) {
    if (col + 1 + word.length > 78 && col > name.length + 1) {
      out += '\r\n ';
      col = 1;
    } else {
      out += ' ';
      col += 1;
    }
    out += word;
    col += word.length;
  }
  return out;
}

function originalRecipient(orcpt: string): string {
  const i = orcpt.indexOf(';');
  if (i < 0) return `rfc822; ${orcpt}`;
  return `${orcpt.slice(0, i).trim()}; ${xtextDecode(orcpt.slice(i + 1).trim())}`;
}

/** RFC 3461 xtext: "+HH" stands for a byte. */
function xtextDecode(s: string): string {
  return s.replace(/\+([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The original as attached: headers only for RET=HDRS or a big mail; CRLF line ends throughout. */
function originalPart(input: DsnInput): DsnOriginal {
  let { content, headersOnly } = input.original;
  if (!headersOnly && (input.ret === 'HDRS' || content.length > DSN_FULL_LIMIT)) {
    const end = headerEnd(content);
    content = end >= 0 ? content.subarray(0, end) : content.subarray(0, DSN_FULL_LIMIT);
    headersOnly = true;
  }
  // latin1 maps bytes one to one, so 8-bit content survives the line-end rewrite unchanged.
  let text = content.toString('latin1').replace(/\r?\n|\r/g, '\r\n');
  if (text.length && !text.endsWith('\r\n')) text += '\r\n';
  return { content: Buffer.from(text, 'latin1'), headersOnly };
}

function transferEncoding(buf: Buffer): '7bit' | '8bit' {
  for (const b of buf) if (b > 0x7f || b === 0) return '8bit';
  return '7bit';
}

/** "Tue, 01 Jan 2030 12:00:00 +0000" */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}
