// The `spamfinder` section of the configuration: phase-1 connection filters (RBL, anti-spoofing,
// SPF/DKIM/DMARC/ARC, penetration defence, per-IP limits) used by smtp-receiver, and the phase-2
// filters, profiles and virus scanner used by the spamfinder stage. Every key has a safe default.
import { z } from 'zod';
import { cidr, duration } from '../../config/fields.ts';

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
    /**
     * Fit the Bayes side of the content filter to this site (rules/calibrate.ts): learned mails
     * are kept in a sample and the Bayes weights refitted on it a few seconds after learning.
     */
    calibrate: z.boolean().default(true),
    /** Learned mails kept per class for the calibration (newest first; ~8 bytes per token, a few MB). */
    calibrationSample: z.number().int().min(100).max(100_000).default(2500),
  })
  .prefault({});

/**
 * The rule layer (rules/): generic spam signals combined with the Bayes score by learned weights
 * (rules/weights.ts, the Bayes side calibrated to the site: rules/calibrate.ts). Both thresholds
 * were chosen by 5-fold cross-validation, ham cut into folds by source (bench/spam.ts), over two
 * sites: the training part of the SpamAssassin corpus and the first half of the TREC 2007 corpus
 * (never their test part / second half): the highest F1 with at most 0.2% false positives on ham
 * from senders the model never saw at each site (0.2%: SpamAssassin's level on easy ham).
 */
export const rulesSchema = z
  .strictObject({
    /** Off: BAYES alone decides, with bayes.threshold. */
    enabled: z.boolean().default(true),
    /** Spam probability (Bayes + rules) from which a mail is spam, once Bayes is trained. */
    threshold: z.number().min(0.5).max(1).default(0.75),
    /** The same while Bayes has not learned enough (rules alone, out of the box): cautious. */
    untrainedThreshold: z.number().min(0.5).max(1).default(0.8),
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

/**
 * BATV: outbound return paths signed (prvs=), bounces to local addresses without a valid tag refused
 * at RCPT. Off by default: once on, bounces of mail sent before (and null-sender read receipts to
 * a plain address) are refused, so an admin turns it on knowingly.
 */
export const batvSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Days a signed return path accepts bounces after the mail was sent. */
    validDays: z.number().int().min(1).max(999).default(7),
  })
  .prefault({});

/** The HTTP server for signed user links (quarantine release, CISS confirmation); not the admin API. */
export const linksSchema = z
  .strictObject({
    listen: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be "host:port"').default('0.0.0.0:8026'),
    /** Base URL of that server as users and senders reach it; default http://<hostname>:<port of listen>. */
    url: z.string().url().optional(),
  })
  .prefault({});

/** Quarantine reports mailed to local recipients, with release links. */
export const reportsSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Times of day (UTC, "HH:MM") at which reports go out. */
    times: z.array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use "HH:MM" (UTC)')).min(1).default(['08:00']),
    /** How long a release link works. */
    linkTtl: duration('14d'),
  })
  .prefault({});

/** CISS (challenge-response), for the recipients whose profile has `ciss: true`. */
export const cissSchema = z
  .strictObject({
    /** Recipients of outgoing mail are known senders for this long. */
    knownFor: duration('180d'),
    /** At most one challenge per sender in this period. */
    challengeEvery: duration('1d'),
    /** How long a confirmation link works. */
    linkTtl: duration('7d'),
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
    /** The rule layer, when its rules weigh more than the Bayes score; unset = as `bayes`. */
    rules: z.enum(ACTIONS).optional(),
    virus: action('quarantine'),
    /** DMARC fail (when not refused at SMTP). */
    dmarc: action('mark'),
    /** Subject tag for `mark`. */
    tag: z.string().default('[SPAM]'),
    /** CISS: mail from unknown senders waits in quarantine:ciss until the sender confirms. */
    ciss: z.boolean().default(false),
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
  rules: rulesSchema,
  fuzzy: fuzzySchema,
  src: srcSchema,
  batv: batvSchema,
  reports: reportsSchema,
  ciss: cissSchema,
  links: linksSchema,
  /** Named filter profiles; "default" always exists. */
  profiles: z.record(z.string().min(1), profileSchema).default({}),
  /** Recipient address or domain → profile name. */
  assign: z.record(z.string().min(1), z.string().min(1)).default({}),
  virus: virusSchema,
  /** How long mail stays in each quarantine before it is deleted (0 = kept until an admin acts). */
  retention: z
    .strictObject({ spam: duration('30d'), virus: duration('30d'), ciss: duration('14d') })
    .prefault({}),
  /** Defer time when a filter cannot decide now (DNS, store). */
  retry: duration('2m'),
}).superRefine((c, ctx) => {
  for (const [who, name] of Object.entries(c.assign)) {
    if (name !== 'default' && !c.profiles[name]) ctx.addIssue({ code: 'custom', path: ['assign', who], message: `no profile named "${name}" in spamfinder.profiles` });
  }
});

export type SpamfinderConfig = z.output<typeof spamfinderConfigSchema>;
