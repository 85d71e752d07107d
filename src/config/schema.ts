// The configuration file's shape. Every key is checked at start; an unknown or wrong key stops
// start-up with a message naming it (see load.ts). Durations are milliseconds after parsing.
import { z } from 'zod';
import { duration, hostPort, domainName, cidr } from './fields.ts';
import { spamfinderConfigSchema } from '../services/spamfinder/config.ts';
import { archiveConfigSchema } from '../services/mail-depot/config.ts';
import { pop3ConfigSchema } from '../services/pop3-proxy/config.ts';
import { ldapConfigSchema } from '../admin/auth/ldap-config.ts';
import { remoteSupportConfigSchema } from '../services/remote-support/config.ts';
import { sealerConfigSchema } from '../services/mail-sealer/config.ts';
import { portalConfigSchema } from '../services/portal-crypt/config.ts';

/** A delivery route: "mx" (MX lookup) or "smtp://host:port" (relay), optionally "smtp+starttls://". */
const route = z.string().refine((s) => s === 'mx' || /^smtps?:\/\/[^/]+(:\d+)?\/?$/.test(s), {
  message: 'must be "mx" or "smtp://host:port"',
});

const smtpUser = z.strictObject({
  user: z.string().min(1),
  /** scrypt hash as written by `gatehouse users hash` ("scrypt$N$r$p$salt$hash"), or a plain password (warned). */
  password: z.string().min(1),
});

export const configSchema = z.strictObject({
  hostname: z.string().min(1).default('gatehouse.localdomain'),
  dataDir: z.string().min(1).default('./data'),
  /**
   * Where the appliance's data lives. Absent: the embedded default (SQLite + files in dataDir).
   * `url: postgres://…`: cluster mode — every node pointed at the same PostgreSQL is one appliance.
   */
  database: z
    .strictObject({
      url: z
        .string()
        .refine((s) => /^postgres(ql)?:\/\//.test(s), { message: 'must be a postgres:// URL' })
        .optional(),
      /** Connections this node keeps to PostgreSQL. */
      poolSize: z.number().int().min(2).max(200).default(10),
    })
    .prefault({}),
  /** This node's name in a cluster (service states, leases and logs are per node). Default: the host name. */
  nodeId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-", up to 63')
    .optional(),
  smtp: z
    .strictObject({
      listen: hostPort('0.0.0.0:2525'),
      maxMessageSize: z.number().int().positive().default(52_428_800),
      maxRecipients: z.number().int().positive().default(1000),
      maxClients: z.number().int().positive().default(500),
      /** Early-talker check: hold the greeting back this long for clients outside trustedNetworks. */
      greetingDelay: duration('0s'),
      socketTimeout: duration('60s'),
      tls: z.strictObject({ cert: z.string(), key: z.string() }).optional(),
      /** Users that may AUTH (and then relay outward). */
      users: z.array(smtpUser).default([]),
      /** Valid recipients at local domains; when empty, every address at a local domain is accepted. */
      recipients: z.array(z.string().min(3)).default([]),
    })
    .prefault({}),
  domains: z.array(domainName).default([]),
  trustedNetworks: z.array(cidr).default(['127.0.0.0/8', '::1/128']),
  routes: z.record(z.string(), route).default({ '*': 'mx' }),
  dns: z
    .strictObject({
      servers: z.array(hostPort('127.0.0.1:53')).optional(),
      timeout: duration('5s'),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      /** Delay notice to the sender after this long undelivered. */
      delayNotice: duration('4h'),
      /** Bounce after this long undelivered. */
      maxQueueTime: duration('5d'),
      retryInitial: duration('60s'),
      retryMax: duration('1h'),
      connectTimeout: duration('30s'),
      concurrencyPerDestination: z.number().int().positive().default(10),
      concurrency: z.number().int().positive().default(100),
      /** Port for delivery to MX hosts (25; another value only for test networks). */
      mxPort: z.number().int().min(1).max(65535).default(25),
      /** Require TLS to the next hop (otherwise STARTTLS is opportunistic). */
      requireTls: z.boolean().default(false),
    })
    .prefault({}),
  flow: z
    .strictObject({
      /** How long a claimed mail stays leased to one worker before it returns to its queue. */
      lease: duration('5m'),
      /** Mails processed at once by each pipeline stage. */
      concurrency: z.number().int().positive().default(64),
    })
    .prefault({}),
  /** Phase-1 (smtp-receiver) and phase-2 (spamfinder stage) filters; see src/services/spamfinder/config.ts. */
  spamfinder: spamfinderConfigSchema.prefault({}),
  /** The archive (mail-depot): policies, journal address, compression, index limits; see src/services/mail-depot/config.ts. */
  archive: archiveConfigSchema.prefault({}),
  /** External POP3 mailboxes fetched by pop3-proxy; see src/services/pop3-proxy/config.ts. */
  pop3: pop3ConfigSchema.prefault({}),
  /** Encryption policies, inbound handling, S/MIME algorithms and the built-in CA (mail-sealer); see src/services/mail-sealer/config.ts. */
  sealer: sealerConfigSchema.prefault({}),
  /** Outgoing support tunnel; see src/services/remote-support/config.ts. */
  /** The encryption portal for recipients without keys (portal-crypt); see src/services/portal-crypt/config.ts. */
  portal: portalConfigSchema.prefault({}),
  remoteSupport: remoteSupportConfigSchema.prefault({}),
  admin: z
    .strictObject({
      listen: hostPort('127.0.0.1:8025'),
      /** Console logins checked by an LDAP bind; see src/admin/auth/ldap-config.ts. */
      ldap: ldapConfigSchema.optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
      /** Days log records are kept in the log database. */
      retentionDays: z.number().int().positive().default(30),
    })
    .prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
