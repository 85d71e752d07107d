// The phase-1 filters' one way to DNS: our resolver (config dns.servers), a hard deadline per
// query (dns.timeout; a timeout rejects with code ETIMEOUT, never resolves empty) and a small
// bounded cache of answers, so SPF and blocklist lookups for the same sender are asked once.
import { Resolver } from 'node:dns/promises';

export interface DnsClientOptions {
  /** "host:port" of the name servers; the system's when not given. */
  servers?: string[];
  /** Deadline of one query, ms. */
  timeout: number;
  /** How long answers (and "no such name") are kept, ms (default 60 s). */
  cacheTtl?: number;
  /** Most answers kept (default 10,000). */
  cacheSize?: number;
}

/** dns.promises.resolve semantics: NXDOMAIN / no data reject with ENOTFOUND / ENODATA. */
export type DnsResolve = (name: string, type: string) => Promise<unknown[]>;

export interface DnsClient {
  resolve: DnsResolve;
}

export class DnsTimeoutError extends Error {
  readonly code = 'ETIMEOUT';
  constructor(readonly query: string) {
    super(`DNS query ${query} timed out`);
    this.name = 'DnsTimeoutError';
  }
}

const NEGATIVE = new Set(['ENOTFOUND', 'ENODATA']);

/** Is this error a DNS deadline (ours or the resolver's)? */
export function isDnsTimeout(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ETIMEOUT';
}

/** Is this error the name server saying "no such name / no such record" (a real answer)? */
export function isDnsNegative(err: unknown): boolean {
  return NEGATIVE.has((err as { code?: string } | null)?.code ?? '');
}

export function createDnsClient(o: DnsClientOptions): DnsClient {
  const resolver = new Resolver({ timeout: o.timeout, tries: 1 });
  if (o.servers?.length) resolver.setServers(o.servers);
  const ttl = o.cacheTtl ?? 60_000;
  const max = o.cacheSize ?? 10_000;
  const cache = new Map<string, { until: number; answer?: unknown[]; error?: Error }>();

  const remember = (key: string, v: { answer?: unknown[]; error?: Error }) => {
    if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    cache.set(key, { until: Date.now() + ttl, ...v });
  };

  const resolve: DnsResolve = async (name, type) => {
    const key = `${type} ${name.toLowerCase()}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) {
      if (hit.error) throw hit.error;
      return hit.answer!;
    }
    let timer: NodeJS.Timeout | undefined;
    // c-ares' timeout is per try and may grow; the deadline is ours.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DnsTimeoutError(key)), o.timeout);
    });
    try {
      const answer = (await Promise.race([resolver.resolve(name, type as 'A'), deadline])) as unknown[];
      remember(key, { answer });
      return answer;
    } catch (err) {
      if (isDnsNegative(err)) remember(key, { error: err as Error });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  return { resolve };
}
