// IP networks (trustedNetworks and friends): parse CIDR strings once, match addresses fast.
import ipaddr from 'ipaddr.js';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseCidr(s: string): Cidr | null {
  try {
    if (!s.includes('/')) {
      const a = ipaddr.parse(s);
      return [a, a.kind() === 'ipv4' ? 32 : 128];
    }
    return ipaddr.parseCIDR(s);
  } catch {
    return null;
  }
}

export class NetworkList {
  private readonly nets: Cidr[];
  constructor(list: readonly string[]) {
    this.nets = list.map((s) => {
      const c = parseCidr(s);
      if (!c) throw new Error(`not a network: ${s}`);
      return c;
    });
  }
  contains(address: string | undefined): boolean {
    if (!address) return false;
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(address); // maps ::ffff:1.2.3.4 to IPv4
    } catch {
      return false;
    }
    for (const [net, bits] of this.nets) {
      if (net.kind() === a.kind() && a.match(net as never, bits)) return true;
    }
    return false;
  }
}
