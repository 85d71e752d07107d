// The `pop3` section of the config: the external POP3 mailboxes pop3-proxy fetches. The same
// schema checks mailboxes added through the API, so both kinds obey the same rules: TLS unless
// the admin writes `insecure: true`, exactly one of password / passwordFile.
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';

const seconds = (dflt: number, min: number) =>
  z
    .union([z.number(), z.string()])
    .default(dflt)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null || ms < min * 1000) {
        ctx.addIssue({ code: 'custom', message: `must be a duration of at least ${min}s (seconds, or e.g. "90s", "15m", "1h")` });
        return z.NEVER;
      }
      return ms;
    });

/** Mailbox names appear in URLs, CLI arguments and the UIDL table. */
export const MAILBOX_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const pop3MailboxSchema = z
  .strictObject({
    name: z.string().regex(MAILBOX_NAME, 'letters, digits, ".", "_" and "-" (at most 64), starting with a letter or digit'),
    host: z.string().min(1).max(255),
    /** Default: 995 with tls: implicit, else 110. */
    port: z.number().int().min(1).max(65535).optional(),
    /** implicit = POP3S; starttls = STLS on the plain port; none = plain text (needs insecure: true). */
    tls: z.enum(['implicit', 'starttls', 'none']).default('implicit'),
    insecure: z.boolean().default(false),
    user: z.string().min(1).max(255),
    password: z.string().min(1).optional(),
    /** A file holding the password (read at every fetch; one trailing newline is ignored). */
    passwordFile: z.string().min(1).optional(),
    /** Seconds between fetches (or a duration such as "5m"). */
    interval: seconds(300, 1),
    /** true: leave the mail on the server; false: delete it there once it is durable here. */
    keep: z.boolean().default(true),
    /** Local recipient every fetched mail is delivered to. */
    deliverTo: z.string().regex(/^[^\s@<>"]+@[^\s@<>"]+$/, 'must be an address like alice@example.test'),
    /** PEM file of a CA to trust for this server (besides the system's). */
    ca: z.string().min(1).optional(),
    /** The server's own certificate (PEM file) or its SHA-256 fingerprint: trusted as it is. */
    trustCertificate: z.string().min(1).optional(),
    /** Deadline of each POP3 command (and of each pause while a mail streams in). */
    timeout: seconds(60, 1),
  })
  .superRefine((m, ctx) => {
    if (m.tls === 'none' && !m.insecure) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls: none sends the password in plain text; it needs insecure: true' });
    }
    if (!!m.password === !!m.passwordFile) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'give exactly one of password or passwordFile' });
    }
    if (m.tls === 'none' && (m.ca || m.trustCertificate)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'ca and trustCertificate need tls: implicit or starttls' });
    }
  });

export const pop3ConfigSchema = z
  .strictObject({
    mailboxes: z.array(pop3MailboxSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.mailboxes.forEach((m, i) => {
      if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: ['mailboxes', i, 'name'], message: `mailbox name "${m.name}" is used twice` });
      seen.add(m.name);
    });
  });

export type Pop3Mailbox = z.output<typeof pop3MailboxSchema>;
export type Pop3MailboxInput = z.input<typeof pop3MailboxSchema>;
export type Pop3Config = z.output<typeof pop3ConfigSchema>;

export function mailboxPort(m: Pop3Mailbox): number {
  return m.port ?? (m.tls === 'implicit' ? 995 : 110);
}
