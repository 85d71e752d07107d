// ARBL input: the relay IPs named in a message's Received: headers, newest first, without
// private, loopback and other non-routable addresses (they say nothing about the sender).
import ipaddr from 'ipaddr.js';

const SKIP = new Set(['private', 'loopback', 'linkLocal', 'unspecified', 'uniqueLocal', 'carrierGradeNat', 'multicast', 'broadcast', 'ipv4Mapped']);
const LITERAL = /\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/i;

/** Unfolded header lines of a header block (up to the blank line). */
export function headerLines(head: string): string[] {
  const out: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1] += ' ' + line.trim();
    else out.push(line);
  }
  return out;
}

/** Relay IPs of the Received: headers in `head`, in header order (nearest relay first), unique. */
export function receivedRelays(head: string): string[] {
  const out: string[] = [];
  for (const line of headerLines(head)) {
    if (!/^received:/i.test(line)) continue;
    const from = /\bfrom\b(.*?)(?:\bby\b|;|$)/i.exec(line.slice(9));
    const m = LITERAL.exec(from ? from[1] : '');
    if (!m || !ipaddr.isValid(m[1])) continue;
    const a = ipaddr.process(m[1]);
    if (SKIP.has(a.range())) continue;
    const ip = a.toString();
    if (!out.includes(ip)) out.push(ip);
  }
  return out;
}
