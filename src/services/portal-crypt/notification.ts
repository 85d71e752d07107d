// The mail a portal recipient gets instead of the mail itself: who sent something, the signed
// link that opens it, until when the link works, and what the first visit asks. It never carries
// the mail's subject or content. It goes out from the original From, with the original envelope
// sender as return path, so a notification that bounces tells the sender.
import { randomUUID } from 'node:crypto';
import type { GeneratedMail } from '../../core/mail.ts';
import { rfc5322Date } from '../smtp-sender/dsn.ts';
import { encodeWord, textMail } from './text-mail.ts';

export interface NotificationInput {
  hostname: string;
  portalId: string;
  mailId: string;
  /** Original From header value (as written) and envelope sender. */
  from: string;
  sender: string;
  recipient: string;
  link: string;
  expiresAt: number;
  senderPassword: boolean;
  /** The recipient has a portal password already (then the link asks for it, not for a new one). */
  hasPassword?: boolean;
  now: number;
}

export function notificationMail(n: NotificationInput): GeneratedMail {
  const who = n.from.replace(/[\r\n]+/g, ' ').trim() || n.sender || 'a sender';
  const lines = [
    `${who} has sent you an encrypted message.`,
    '',
    'It is kept for you in the encryption portal. Open it here:',
    '',
    n.link,
    '',
    n.senderPassword
      ? 'You need the password the sender gives you through another channel (for example by phone).'
      : n.hasPassword
        ? 'Open it with your portal password; signed in, you also see your other messages there.'
        : 'On your first visit you choose a password; it protects this and later messages to you.',
    'You can read the message, download its attachments and reply in the portal.',
    '',
    `The link works until ${new Date(n.expiresAt).toUTCString()}; after that the message is deleted.`,
    '',
    `-- Gatehouse encryption portal on ${n.hostname}`,
  ];
  const body = textMail(
    [
      ['From', who],
      ['To', `<${n.recipient}>`],
      ['Subject', encodeWord(`Encrypted message from ${who}`)],
      ['Date', rfc5322Date(n.now)],
      ['Message-ID', `<${randomUUID()}@${n.hostname}>`],
      ['Auto-Submitted', 'auto-generated'],
      ['X-Gatehouse-Portal', n.portalId],
    ],
    lines,
  );
  return {
    envelope: { sender: n.sender, recipients: [{ address: n.recipient, status: 'pending' }], direction: 'outbound', source: 'portal', meta: { portalId: n.portalId, portalOf: n.mailId } },
    body,
    queue: 'deliver',
  };
}
