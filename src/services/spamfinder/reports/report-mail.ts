// The quarantine report one recipient gets: what was held for them since the last report, each
// mail with a signed link that releases it. Plain text (quoted-printable UTF-8), from the null
// sender so that it can never start a bounce loop.
import { randomUUID } from 'node:crypto';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { rfc5322Date } from '../../smtp-sender/dsn.ts';

export interface ReportedMail {
  id: string;
  sender: string;
  subject: string;
  receivedAt: number;
  filter: string | null;
}

export interface ReportInput {
  hostname: string;
  recipient: string;
  mails: ReportedMail[];
  /** The release link of one mail. */
  link: (mailId: string) => string;
  now: number;
  /** When the links stop working. */
  linksExpire: number;
}

const clean = (s: string) => s.replace(/[\r\n\t]+/g, ' ').slice(0, 120);

export function buildReport(r: ReportInput): Buffer {
  const lines = [
    `Quarantine report for ${r.recipient}`,
    '',
    `${r.mails.length} mail(s) addressed to you were held as spam since the last report.`,
    'Open a link to release that mail to your mailbox (the links work until',
    `${new Date(r.linksExpire).toUTCString()}). Held mail is deleted after the retention time.`,
    '',
  ];
  for (const m of r.mails) {
    lines.push(`* ${new Date(m.receivedAt).toISOString().replace(/\.\d{3}Z$/, 'Z')}  from ${clean(m.sender || '<>')}`);
    lines.push(`  Subject: ${clean(m.subject) || '(none)'}`);
    lines.push(`  Caught by: ${m.filter ?? 'spam filter'}`);
    lines.push(`  Release: ${r.link(m.id)}`);
    lines.push('');
  }
  lines.push(`-- Gatehouse on ${r.hostname}`);
  const body = qpWrap(qpEncode(Buffer.from(lines.join('\r\n') + '\r\n', 'utf8')), 76);
  const head = [
    `From: Gatehouse quarantine <postmaster@${r.hostname}>`,
    `To: <${r.recipient}>`,
    `Subject: Quarantine report: ${r.mails.length} held mail(s)`,
    `Date: ${rfc5322Date(r.now)}`,
    `Message-ID: <${randomUUID()}@${r.hostname}>`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    '',
  ].join('\r\n');
  return Buffer.from(head + body.replace(/\r?\n/g, '\r\n'), 'utf8');
}
