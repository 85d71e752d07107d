// Turns recipient domains into the ordered next hops to try: recipients sharing a route share
// one SMTP transaction (a relay takes every domain routed to it; MX delivery goes per domain),
// and each group gets its host list (MX hosts by preference, each of their addresses in turn).
import type { Recipient } from '../../core/mail.ts';
import { SmtpError } from '../../core/smtp-error.ts';
import type { Config } from '../../config/schema.ts';
import { lookupMx, resolveHost } from './mx.ts';
import { resolveRoute } from './routes.ts';
import type { Destination } from './transport.ts';

/** At most this many addresses are tried per attempt (as Postfix' smtp_mx_address_limit). */
export const MAX_HOSTS_PER_ATTEMPT = 5;

export interface RecipientGroup {
  /** "relay:<url>" or "mx:<domain>". */
  key: string;
  recipients: Recipient[];
  /** Looks up the group's next hops in the order to try them (throws SmtpError). */
  lookup: () => Promise<Destination[]>;
}

/** Groups recipients by next hop; recipients that cannot be routed come back in `unroutable`. */
export function groupRecipients(
  recipients: Recipient[],
  config: Pick<Config, 'routes' | 'dns'>,
  mxPort: number | ((exchange: string) => number),
): { groups: RecipientGroup[]; unroutable: { recipient: Recipient; error: SmtpError }[] } {
  const groups = new Map<string, RecipientGroup>();
  const unroutable: { recipient: Recipient; error: SmtpError }[] = [];
  for (const recipient of recipients) {
    const at = recipient.address.lastIndexOf('@');
    const domain = at > 0 ? recipient.address.slice(at + 1).toLowerCase() : '';
    if (!domain) {
      unroutable.push({ recipient, error: new SmtpError(553, '5.1.3', `bad recipient address ${recipient.address}`) });
      continue;
    }
    let route;
    try {
      route = resolveRoute(domain, config.routes);
    } catch (err) {
      unroutable.push({ recipient, error: asSmtpError(err) });
      continue;
    }
    const key = route.kind === 'relay' ? `relay:${route.url}` : `mx:${domain}`;
    let group = groups.get(key);
    if (!group) {
      const r = route;
      group = {
        key,
        recipients: [],
        lookup:
          r.kind === 'relay'
            ? async () => (await resolveHost(r.host, config.dns)).map((host) => ({ host, port: r.port, secure: r.secure, servername: r.host }))
            : async () => (await lookupMx(domain, config.dns)).flatMap((mx) => mx.addresses.map((host) => ({ host, port: typeof mxPort === 'number' ? mxPort : mxPort(mx.exchange), servername: mx.exchange }))),
      };
      groups.set(key, group);
    }
    group.recipients.push(recipient);
  }
  return { groups: [...groups.values()], unroutable };
}

export function asSmtpError(err: unknown): SmtpError {
  return err instanceof SmtpError ? err : new SmtpError(451, '4.3.0', `local error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
