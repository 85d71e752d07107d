// A reply written in the portal, as a mail into the flow: from the portal recipient to the
// original sender, threaded (In-Reply-To / References) and marked with the portal message it
// answers. It enters at seal-in like any inbound mail, so every check still applies.
import { randomUUID } from 'node:crypto';
import type { Envelope } from '../../core/mail.ts';
import { rfc5322Date } from '../smtp-sender/dsn.ts';
import { encodeWord, textMail } from './text-mail.ts';

export interface ReplyInput {
  hostname: string;
  portalId: string;
  recipient: string;
  /** Envelope sender of the original: where the reply goes. */
  sender: string;
  subject: string;
  inReplyTo: string | null;
  text: string;
  now: number;
}

export function replyMail(r: ReplyInput): { envelope: Envelope; body: Buffer } {
  const subject = /^re:/i.test(r.subject.trim()) ? r.subject : `Re: ${r.subject}`;
  const ref = r.inReplyTo ? `<${r.inReplyTo.replace(/^<|>$/g, '')}>` : null;
  const headers: [string, string][] = [
    ['From', `<${r.recipient}>`],
    ['To', `<${r.sender}>`],
    ['Subject', encodeWord(subject)],
    ['Date', rfc5322Date(r.now)],
    ['Message-ID', `<${randomUUID()}@${r.hostname}>`],
    ...(ref ? ([['In-Reply-To', ref], ['References', ref]] as [string, string][]) : []),
    ['X-Gatehouse-Portal-Reply', r.portalId],
  ];
  return {
    envelope: { sender: r.recipient, recipients: [{ address: r.sender, status: 'pending' }], direction: 'inbound', source: 'portal', meta: { portalReplyTo: r.portalId } },
    body: textMail(headers, r.text.replace(/\r\n|\r/g, '\n').split('\n')),
  };
}
