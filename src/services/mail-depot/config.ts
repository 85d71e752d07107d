// The `archive` section of the configuration (mail-depot): whether the depot stage archives,
// how blobs are compressed, the journal address whose mail is archived and not delivered, the
// ordered archive policies (first match wins; no match: archive) with their retention, the
// default retention and expiry interval, and the indexing limits.
import { z } from 'zod';
import { duration } from '../../config/fields.ts';

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.output<T>[]);

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a regular expression' },
);

/** "10MB", "512KB", "2048" (bytes). */
const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|KIB|MB|MIB|GB|GIB)?\s*$/i.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (use bytes or e.g. "512KB", "10MB")` });
    return z.NEVER;
  }
  const unit = (m[2] ?? 'B').toUpperCase().replace('I', '');
  return Math.round(Number(m[1]) * ({ B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 } as Record<string, number>)[unit]);
});

export const archivePolicySchema = z.strictObject({
  /** Shown in the tracking note of a mail the policy decided about. */
  name: z.string().min(1).optional(),
  direction: oneOrMany(z.enum(['inbound', 'outbound', 'internal'])).optional(),
  /** Where the mail came from: smtp, pop3, bounce, import. */
  source: oneOrMany(z.string().min(1)).optional(),
  /** Envelope sender patterns: "*" any characters, "?" one; case-insensitive, e.g. "*@news.example.com". */
  sender: oneOrMany(z.string().min(1)).optional(),
  /** Envelope recipient patterns; the policy matches when any recipient matches. */
  recipient: oneOrMany(z.string().min(1)).optional(),
  /** Regular expression searched in the Subject (case-insensitive). */
  subject: regex.optional(),
  minSize: size.optional(),
  maxSize: size.optional(),
  /** true: archive; false: do not archive. */
  archive: z.boolean(),
  /** Days the mail this policy archives is kept (from its arrival; fractions allowed); default: archive.retention.defaultDays. */
  retentionDays: z.number().positive().optional(),
});

export const archiveConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  compression: z.enum(['brotli', 'gzip']).default('brotli'),
  /** Mail to this address (e.g. an Exchange journal) is archived and not delivered. */
  journalAddress: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+$/, { message: 'not a mail address' })
    .transform((s) => s.toLowerCase())
    .optional(),
  policies: z.array(archivePolicySchema).default([]),
  retention: z
    .strictObject({
      /** Days a mail is kept when its policy names none (journal mail, imports, no policy matched). */
      defaultDays: z.number().positive().default(3650),
      /** How often the expiry job deletes the mail whose retention has ended (and is not on hold). */
      expireEvery: duration('1h'),
    })
    .prefault({}),
  index: z
    .strictObject({
      /**
       * At most this much of a mail is parsed for the index (headers, text, attachment names):
       * the parser keeps text parts whole in memory. Attachments that start later are not named.
       */
      maxParseBytes: size.default(4 * 1024 * 1024),
      /** At most this much text of a mail (body, text attachments) goes into the index. */
      maxTextBytes: size.default(1024 * 1024),
    })
    .prefault({}),
});

export type ArchiveConfig = z.output<typeof archiveConfigSchema>;
export type ArchivePolicy = z.output<typeof archivePolicySchema>;
