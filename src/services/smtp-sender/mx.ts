// MX lookup for delivery (RFC 5321 5.1, RFC 7505): the domain's mail exchangers in the order to
// try them, each with its addresses, all through our own resolver (config dns.servers) under one
// hard deadline. Failures are SmtpErrors: NXDOMAIN or a null MX are permanent, anything else temporary.
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SmtpError } from '../../core/smtp-error.ts';

export interface MxHost {
  /** Host name of the exchanger (or the domain itself when it has no MX: the implicit MX). */
  exchange: string;
  priority: number;
  /** IPv4 first, then IPv6. Never empty. */
  addresses: string[];
}

export interface DnsOptions {
  /** "host:port" of the name servers; the system's when not given. */
  servers?: string[];
  /** Deadline for the whole lookup, in milliseconds. */
  timeout: number;
}

/** Resolves where mail for `domain` goes; throws SmtpError (temporary or permanent). */
export async function lookupMx(domain: string, dns: DnsOptions): Promise<MxHost[]> {
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(domain);
  if (literal && isIP(literal[1])) return [{ exchange: literal[1], priority: 0, addresses: [literal[1]] }];

  return withResolver(dns, `DNS lookup for ${domain}`, (resolver) => lookup(resolver, domain.toLowerCase().replace(/\.$/, '')));
}

/** Addresses of one host (a relay named in the routes) through the same resolver and deadline. */
export async function resolveHost(host: string, dns: DnsOptions): Promise<string[]> {
  if (isIP(host)) return [host];
  const res = await withResolver(dns, `DNS lookup for ${host}`, (resolver) => addressesOf(resolver, host));
  if (res instanceof SmtpError) throw res;
  if (!res.length) throw new SmtpError(451, '4.4.4', `${host} has no address`);
  return res;
}

async function withResolver<T>(dns: DnsOptions, what: string, work: (r: Resolver) => Promise<T>): Promise<T> {
  const resolver = new Resolver({ timeout: dns.timeout, tries: 1 });
  if (dns.servers?.length) resolver.setServers(dns.servers);
  let timer: NodeJS.Timeout | undefined;
  // c-ares' own timeout is per try and grows between tries, so the deadline is ours.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      resolver.cancel();
      reject(new SmtpError(451, '4.4.3', `${what} timed out`));
    }, dns.timeout);
  });
  try {
    return await Promise.race([work(resolver), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function lookup(resolver: Resolver, domain: string): Promise<MxHost[]> {
  let records: { exchange: string; priority: number }[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (err) {
    if (code(err) !== 'ENODATA') throw dnsError(err, domain, 'MX');
    records = [];
  }
  const isNull = (r: { exchange: string }) => r.exchange === '' || r.exchange === '.';
  if (records.length && records.every(isNull)) {
    throw new SmtpError(556, '5.1.10', `${domain} does not accept mail (null MX)`);
  }
  // No MX at all: the domain itself is the implicit MX with preference 0 (RFC 5321 5.1).
  const ordered = records.length ? sortByPriority(records.filter((r) => !isNull(r))) : [{ exchange: domain, priority: 0 }];

  const resolved = await Promise.all(ordered.map((r) => addressesOf(resolver, r.exchange)));
  const hosts: MxHost[] = [];
  let temporary: SmtpError | null = null;
  resolved.forEach((res, i) => {
    if (res instanceof SmtpError) temporary ??= res;
    else if (res.length) hosts.push({ ...ordered[i], addresses: res });
  });
  if (hosts.length) return hosts;
  if (temporary) throw temporary;
  throw new SmtpError(550, '5.1.2', records.length ? `no address for the mail exchangers of ${domain}` : `${domain} has no MX and no address`);
}

/** Lowest preference first; equal preferences in random order (RFC 5321 5.1). */
function sortByPriority<T extends { priority: number }>(records: T[]): T[] {
  return records
    .map((r) => ({ r, k: Math.random() }))
    .sort((a, b) => a.r.priority - b.r.priority || a.k - b.k)
    .map((x) => x.r);
}

/** A and AAAA of one host; an SmtpError when it cannot be said (an empty list when it has none). */
async function addressesOf(resolver: Resolver, host: string): Promise<string[] | SmtpError> {
  if (isIP(host)) return [host];
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const out: string[] = [];
  const errors: unknown[] = [];
  for (const r of [v4, v6]) {
    if (r.status === 'fulfilled') out.push(...r.value);
    else if (code(r.reason) !== 'ENODATA' && code(r.reason) !== 'ENOTFOUND') errors.push(r.reason);
  }
  if (out.length || !errors.length) return out;
  return dnsError(errors[0], host, 'A');
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

function dnsError(err: unknown, name: string, type: string): SmtpError {
  if (code(err) === 'ENOTFOUND') return new SmtpError(550, '5.1.2', `${name} does not exist (NXDOMAIN)`, { cause: err });
  return new SmtpError(451, '4.4.3', `DNS ${type} lookup for ${name} failed: ${code(err) ?? 'error'}`, { cause: err });
}
