// The `portal` section of the configuration (portal-crypt): where the encryption portal listens
// and how users reach it, how long its links and the mails behind them live, and how hard a
// password must be and how often a wrong one may be tried, and what a reply may carry.
import { z } from 'zod';
import { duration, hostPort } from '../../config/fields.ts';

export const portalConfigSchema = z.strictObject({
  /** The portal's own HTTP listener (not the admin API: recipients never see the console). */
  listen: hostPort('0.0.0.0:8027'),
  /** Base URL recipients open, e.g. behind a TLS proxy; default http://<hostname>:<port of listen>. */
  url: z.string().url().optional(),
  /** How long the link in a notification works; the mail is removed from the portal then too. */
  linkTtl: duration('30d'),
  /** Shortest password a recipient may set (or a sender may give). */
  minPasswordLength: z.number().int().min(8).max(256).default(10),
  /** Wrong passwords per message (and 4x that per client address) before a wait of `lockout`. */
  maxAttempts: z.number().int().min(1).max(100).default(5),
  lockout: duration('15m'),
  /** How long a recipient stays signed in to one message after giving the password. */
  sessionTtl: duration('20m'),
  /**
   * A local sender may give the password through another channel: this header (removed before the
   * mail is stored) holds it; the recipient opens the mail with it instead of setting their own.
   */
  senderPasswordHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).default('X-Portal-Password'),
  /** Files a recipient may attach to a reply written in the portal (sizes in bytes). */
  replyUploads: z
    .strictObject({
      /** Largest single file. */
      maxFileSize: z.number().int().min(1024).max(1024 * 1024 * 1024).default(10 * 1024 * 1024),
      /** Largest sum of all files of one reply. */
      maxTotalSize: z.number().int().min(1024).max(1024 * 1024 * 1024).default(25 * 1024 * 1024),
      /** Most files in one reply (0: replies carry text only). */
      maxFiles: z.number().int().min(0).max(100).default(10),
    })
    .prefault({}),
});

export type PortalConfig = z.output<typeof portalConfigSchema>;
