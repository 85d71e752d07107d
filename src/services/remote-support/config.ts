// The `remoteSupport` section of the config: where the support tunnel goes. Only an outgoing
// TLS WebSocket (wss://) is allowed; without an endpoint the service cannot be started.
import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';

export const remoteSupportConfigSchema = z.strictObject({
  /** The support endpoint, e.g. "wss://support.example.com/gatehouse". */
  endpoint: z
    .string()
    .refine((s) => /^wss:\/\/[^/\s]+(\/\S*)?$/.test(s), { message: 'must be a wss:// URL (the tunnel always uses TLS)' })
    .optional(),
  /** PEM file of a CA to trust for the endpoint (besides the system's). */
  ca: z.string().min(1).optional(),
  /** The endpoint's own certificate (PEM file) or its SHA-256 fingerprint: trusted as it is. */
  trustCertificate: z.string().min(1).optional(),
  /** Longest session an admin may start. */
  maxDuration: z
    .union([z.number(), z.string()])
    .default('8h')
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null || ms < 1000 || ms > 86_400_000) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as "8h", at most "24h"' });
        return z.NEVER;
      }
      return ms;
    }),
});

export type RemoteSupportConfig = z.output<typeof remoteSupportConfigSchema>;
