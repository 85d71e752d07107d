// A reply written in the portal, as a mail into the flow: from the portal recipient to the
// original sender, threaded (In-Reply-To / References) and marked with the portal message it
// answers, built by nodemailer's MailComposer (text/plain, or multipart/mixed with the files the
// recipient attached). It enters at seal-in like any inbound mail, so every check still applies.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Envelope } from '../../core/mail.ts';

export interface ReplyFile {
  filename: string;
  contentType: string;
  /** Where the bytes are (the portal's upload spool); read while the mail is streamed out. */
  path: string;
}

export interface ReplyInput {
  hostname: string;
  portalId: string;
  recipient: string;
  /** Envelope sender of the original: where the reply goes. */
  sender: string;
  subject: string;
  inReplyTo: string | null;
  text: string;
  files?: ReplyFile[];
  now: number;
}

const oneLine = (s: string) => s.replace(/[\r\n\t]+/g, ' ').trim();

/** The reply's envelope and its message as a stream (CRLF line ends). */
export function replyMail(r: ReplyInput): { envelope: Envelope; message: Readable } {
  const subject = oneLine(r.subject);
  const ref = r.inReplyTo ? `<${oneLine(r.inReplyTo).replace(/^<|>$/g, '')}>` : undefined;
  const composer = new MailComposer({
    from: { name: '', address: r.recipient },
    to: { name: '', address: r.sender },
    subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`,
    date: new Date(r.now),
    messageId: `<${randomUUID()}@${r.hostname}>`,
    inReplyTo: ref,
    references: ref,
    headers: { 'X-Gatehouse-Portal-Reply': r.portalId },
    text: r.text.replace(/\r\n|\r/g, '\n'),
    attachments: (r.files ?? []).map((f) => ({ filename: f.filename, contentType: f.contentType, path: f.path, contentDisposition: 'attachment' })),
    disableUrlAccess: true,
    newline: 'win',
  });
  return {
    envelope: { sender: r.recipient, recipients: [{ address: r.sender, status: 'pending' }], direction: 'inbound', source: 'portal', meta: { portalReplyTo: r.portalId } },
    message: composer.compile().createReadStream(),
  };
}
