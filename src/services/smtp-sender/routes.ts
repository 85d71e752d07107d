// Which next hop a recipient domain goes to: the config's `routes` map read as exact domain,
// then "*.parent" wildcards (subdomains only, in config order), then "*". No match is a
// permanent failure: a mail we do not know how to route would only wait in the queue for nothing.
import { SmtpError } from '../../core/smtp-error.ts';

export type Route =
  | { kind: 'mx' }
  /** A fixed next hop (smart host). `secure` is implicit TLS (smtps://), otherwise STARTTLS is opportunistic. */
  | { kind: 'relay'; host: string; port: number; secure: boolean; url: string };

/** Finds the route for a recipient domain; throws a permanent SmtpError when none matches. */
export function resolveRoute(domain: string, routes: Record<string, string>): Route {
  const d = domain.toLowerCase().replace(/\.$/, '');
  const keys = Object.keys(routes);
  const key =
    keys.find((k) => k.toLowerCase() === d) ??
    keys.find((k) => k.startsWith('*.') && d.endsWith(k.slice(1).toLowerCase())) ??
    keys.find((k) => k === '*');
  if (key === undefined) throw new SmtpError(554, '5.4.4', `no route to ${d || '(empty domain)'}`);
  return parseRoute(routes[key]);
}

/** "mx", "smtp://host[:port]" or "smtps://host[:port]"; hosts may be [IPv6] literals. */
export function parseRoute(value: string): Route {
  if (value === 'mx') return { kind: 'mx' };
  const m = /^(smtps?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(value);
  if (!m) throw new SmtpError(554, '5.3.5', `bad route "${value}" in the configuration`);
  const secure = m[1].toLowerCase() === 'smtps';
  const host = m[2].replace(/^\[|\]$/g, '');
  const port = m[3] ? Number(m[3]) : secure ? 465 : 25;
  return { kind: 'relay', host, port, secure, url: value };
}
