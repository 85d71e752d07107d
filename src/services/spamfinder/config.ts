// The `spamfinder` section of the configuration: phase-1 connection filters (RBL, anti-spoofing,
// SPF/DKIM/DMARC/ARC, penetration defence, per-IP limits) used by smtp-receiver, and the phase-2
// filters, profiles and virus scanner used by the spamfinder stage. Every key has a safe default.
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';
import { parseCidr } from '../../core/networks.ts';

const duration = (dflt: string) =>
  z
    .union([z.number(), z.string()])
    .default(dflt)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use seconds or e.g. "30s", "15m", "4h")` });
        return z.NEVER;
      }
      return ms;
    });

const cidr = z.string().refine((s) => parseCidr(s) !== null, { message: 'not a network (use e.g. "10.0.0.0/8" or "::1/128")' });
const zone = z
  .string()
  .min(1)
  .transform((s) => s.toLowerCase().replace(/\.$/, ''))
  .refine((s) => /^[a-z0-9_]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9])?)*$/.test(s), { message: 'not a DNS zone' });

/** DNS blocklists: the client IP (RBL) and the relays in Received: headers (ARBL). */
export const rblSchema = z
  .strictObject({
    /** Blocklist zones, e.g. "zen.spamhaus.org"; empty = no RBL check. */
    lists: z.array(zone).default([]),
    /** Own relays and partners never checked (trustedNetworks are never checked either). */
    exceptions: z.array(cidr).default([]),
    /** Also check the relays named in Received: headers (ARBL). */
    received: z.boolean().default(true),
    /** At most this many Received: relays are checked per mail. */
    maxRelays: z.number().int().min(0).max(20).default(5),
  })
  .prefault({});

/** SPF, DKIM, DMARC and ARC through mailauth, recorded in Authentication-Results:. */
export const authSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Refuse mail whose DMARC result is fail under a p=reject policy (550 5.7.1). */
    dmarcReject: z.boolean().default(true),
  })
  .prefault({});

/** Dynamic IP block for clients that probe for recipients. */
export const penetrationSchema = z
  .strictObject({
    /** Invalid recipients a client may try (per connection and per block period) before it is blocked; 0 = off. */
    maxInvalidRecipients: z.number().int().min(0).default(10),
    /** How long a blocked client is refused at connect. */
    blockTime: duration('15m'),
  })
  .prefault({});

/** Per-IP limits for clients outside trustedNetworks (0 = no limit). */
export const limitsSchema = z
  .strictObject({
    connectionsPerIp: z.number().int().min(0).default(20),
    /** New connections per minute from one IP. */
    connectionRatePerIp: z.number().int().min(0).default(0),
    /** Mails (MAIL FROM commands) per minute from one IP. */
    messageRatePerIp: z.number().int().min(0).default(0),
  })
  .prefault({});

/** Company-wide allow (AWL/DWL/NWL/SWL) and block (ABL/DBL/NBL/SBL) lists; more come through the API. */
export const listsSchema = z
  .strictObject({
    awl: z.array(z.string().min(1)).default([]),
    dwl: z.array(z.string().min(1)).default([]),
    nwl: z.array(cidr).default([]),
    swl: z.array(z.string().min(1)).default([]),
    abl: z.array(z.string().min(1)).default([]),
    dbl: z.array(z.string().min(1)).default([]),
    nbl: z.array(cidr).default([]),
    sbl: z.array(z.string().min(1)).default([]),
  })
  .prefault({});

export const bayesSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Spam probability (0..1) from which a mail counts as spam. */
    threshold: z.number().min(0.5).max(1).default(0.9),
    /** The classifier says nothing until it has learned at least this many spam and ham mails each. */
    minTrained: z.number().int().min(1).default(10),
    /** Bound of the token table; the least recently seen tokens are dropped beyond it. */
    maxTokens: z.number().int().min(1000).default(500_000),
  })
  .prefault({});

/** FUZZY: fingerprints of confirmed spam (fuzzy-filter service) that survive small changes. */
export const fuzzySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Share of a mail's sketch that must match a known spam print (0..1). */
    threshold: z.number().min(0.1).max(1).default(0.5),
    /** Bound of the print table; the oldest prints are dropped beyond it. */
    maxPrints: z.number().int().min(100).default(100_000),
  })
  .prefault({});

/** SRC: ask the sender's mail server whether it accepts mail for the sender address. Off by default: callouts cost time and load on other sites. */
export const srcSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    timeout: duration('15s'),
    cacheTtl: duration('1d'),
  })
  .prefault({});

export const ACTIONS = ['quarantine', 'mark', 'decline', 'drop', 'pass'] as const;
/** quarantine: hold; mark: tag subject + header, deliver; decline: bounce with a DSN; drop: delete with a log entry; pass: ignore the filter. */
export type FilterAction = (typeof ACTIONS)[number];
const action = (dflt: FilterAction) => z.enum(ACTIONS).default(dflt);

export const profileSchema = z
  .strictObject({
    blocklist: action('quarantine'),
    fuzzy: action('quarantine'),
    src: action('quarantine'),
    bayes: action('quarantine'),
    virus: action('quarantine'),
    /** DMARC fail (when not refused at SMTP). */
    dmarc: action('mark'),
    /** Subject tag for `mark`. */
    tag: z.string().default('[SPAM]'),
  })
  .prefault({});
export type FilterProfile = z.output<typeof profileSchema>;

export const virusSchema = z
  .strictObject({
    /** clamd address: "host:port" (TCP) or a path to its local socket; none = no virus scan. */
    clamd: z.string().min(1).optional(),
    timeout: duration('30s'),
    /** Defer time when clamd cannot answer. */
    retry: duration('2m'),
  })
  .prefault({});

export const spamfinderConfigSchema = z.strictObject({
  rbl: rblSchema,
  /** A local sender domain from an untrusted, unauthenticated client is refused. */
  antiSpoofing: z.boolean().default(true),
  auth: authSchema,
  penetration: penetrationSchema,
  limits: limitsSchema,
  lists: listsSchema,
  bayes: bayesSchema,
  fuzzy: fuzzySchema,
  src: srcSchema,
  /** Named filter profiles; "default" always exists. */
  profiles: z.record(z.string().min(1), profileSchema).default({}),
  /** Recipient address or domain → profile name. */
  assign: z.record(z.string().min(1), z.string().min(1)).default({}),
  virus: virusSchema,
  /** Defer time when a filter cannot decide now (DNS, store). */
  retry: duration('2m'),
});

export type SpamfinderConfig = z.output<typeof spamfinderConfigSchema>;
