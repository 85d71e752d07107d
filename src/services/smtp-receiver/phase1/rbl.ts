// RBL / ARBL: is an IP listed at one of the configured DNS blocklists? Every list is asked in
// parallel under the DNS deadline. A list that cannot be asked (timeout, SERVFAIL) makes the
// answer a temporary failure (451 4.4.3): a blocklist that was not asked is never a silent pass.
import ipaddr from 'ipaddr.js';
import { SmtpError } from '../../../core/smtp-error.ts';
import type { NetworkList } from '../../../core/networks.ts';
import { isDnsNegative, isDnsTimeout, type DnsClient } from './dns-client.ts';

export interface RblHit {
  ip: string;
  zone: string;
  /** The list's answer, e.g. 127.0.0.2 (the listing reason code). */
  answer: string;
}

export interface RblOptions {
  lists: string[];
  /** Never checked: own relays and partners (exceptions) and trustedNetworks. */
  exempt: NetworkList[];
  dns: DnsClient;
  /** Called when a list answers with a code that means "query refused" (127.255.255.x). */
  onRefused?: (zone: string, answer: string) => void;
}

/** The DNSBL query name of an IP: reversed octets (IPv4) or nibbles (IPv6). */
export function reverseName(ip: string): string | null {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.process(ip);
  } catch {
    return null;
  }
  if (a.kind() === 'ipv4') return (a as ipaddr.IPv4).octets.slice().reverse().join('.');
  const hex = (a as ipaddr.IPv6).parts.map((p) => p.toString(16).padStart(4, '0')).join('');
  return hex.split('').reverse().join('.');
}

export class RblChecker {
  constructor(private readonly o: RblOptions) {}

  get active(): boolean {
    return this.o.lists.length > 0;
  }

  exempt(ip: string): boolean {
    return this.o.exempt.some((n) => n.contains(ip));
  }

  /** The first listing in list order, or null; throws a 451 SmtpError when a list could not be asked. */
  async lookup(ip: string): Promise<RblHit | null> {
    if (!this.active || this.exempt(ip)) return null;
    const rev = reverseName(ip);
    if (!rev) return null;
    const answers = await Promise.allSettled(this.o.lists.map((zone) => this.o.dns.resolve(`${rev}.${zone}`, 'A')));
    let failure: unknown = null;
    for (let i = 0; i < answers.length; i++) {
      const r = answers[i];
      const zone = this.o.lists[i];
      if (r.status === 'rejected') {
        if (!isDnsNegative(r.reason)) failure ??= r.reason;
        continue;
      }
      for (const a of r.value as string[]) {
        if (a.startsWith('127.255.255.')) {
          this.o.onRefused?.(zone, a);
          continue;
        }
        if (a.startsWith('127.')) return { ip, zone, answer: a };
      }
    }
    if (failure) {
      const why = isDnsTimeout(failure) ? 'timed out' : `failed (${(failure as { code?: string }).code ?? 'error'})`;
      throw new SmtpError(451, '4.4.3', `Blocklist lookup for ${ip} ${why}, try again later`, { cause: failure });
    }
    return null;
  }
}
