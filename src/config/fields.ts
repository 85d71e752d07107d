// Field types shared by every section of the configuration: durations, host:port, networks and
// domain names, each with the message an admin sees when the value is wrong.
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { parseCidr } from '../core/networks.ts';

/** Seconds as a number, or "90s", "15m", "4h", "5d"; milliseconds after parsing. */
export const duration = (dflt: string) =>
  z
    .union([z.number(), z.string()])
    .default(dflt)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use seconds or e.g. "30s", "15m", "4h", "5d")` });
        return z.NEVER;
      }
      return ms;
    });

export const hostPort = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .refine((s) => /^(\[[0-9a-fA-F:.]+\]|[^:\s]+|[0-9a-fA-F:]+):\d{1,5}$/.test(s) && Number(s.slice(s.lastIndexOf(':') + 1)) < 65536, {
      message: 'must be "host:port", e.g. "0.0.0.0:2525" or "[::1]:2525"',
    });

export const domainName = z
  .string()
  .min(1)
  .transform((s) => s.toLowerCase())
  .refine((s) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(s), { message: 'not a domain name' });

export const cidr = z.string().refine((s) => parseCidr(s) !== null, { message: 'not a network (use e.g. "10.0.0.0/8" or "::1/128")' });
