// A portal mail as the recipient sees it: the header lines that matter, the text (HTML parts are
// reduced to text, never served as HTML: the portal shows no active content from a sender), and
// the attachments with their names, types and bytes.
import { simpleParser } from 'mailparser';

export interface PortalAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ReadableMail {
  from: string;
  to: string;
  date: string;
  subject: string;
  messageId: string | null;
  text: string;
  attachments: PortalAttachment[];
}

export async function readMail(raw: Buffer): Promise<ReadableMail> {
  const p = await simpleParser(raw, { skipHtmlToText: false, skipImageLinks: true });
  const addr = (a: typeof p.from | typeof p.to) => (Array.isArray(a) ? a.map((x) => x.text).join(', ') : (a?.text ?? ''));
  return {
    from: addr(p.from),
    to: addr(p.to),
    date: p.date ? p.date.toUTCString() : '',
    subject: p.subject ?? '',
    messageId: p.messageId ?? null,
    text: p.text ?? '',
    attachments: p.attachments.map((a, i) => ({ filename: a.filename || `attachment-${i + 1}`, contentType: a.contentType || 'application/octet-stream', content: a.content })),
  };
}
