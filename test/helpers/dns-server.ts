// A small authoritative DNS server on 127.0.0.1 (UDP and TCP, same port) for e2e tests, so that MX
// lookups, DNSBL/SPF-style TXT queries etc. never touch the internet. Unknown names get NXDOMAIN.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import { freePort } from './ports.ts';

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  MX?: { exchange: string; priority: number }[];
  /** Each string is one TXT record (split into 255-byte chunks as needed). */
  TXT?: string[];
  PTR?: string[];
  CNAME?: string;
  /** Answer queries for this name only after this many ms (a value above the resolver's timeout = timeout). */
  delayMs?: number;
  /** Never answer queries for this name. */
  drop?: boolean;
  /** Answer with this error instead of records, e.g. "SERVFAIL" or "REFUSED". */
  rcode?: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN' | 'NOTIMP' | 'FORMERR';
}

/** Zone data: fully-qualified name (case-insensitive, trailing dot optional) → records. */
export type DnsZone = Record<string, DnsRecords>;

export interface DnsQueryLog {
  name: string;
  type: string;
  proto: 'udp' | 'tcp';
}

export interface DnsServerOptions {
  /** Delay for every answer, in ms. */
  delayMs?: number;
  /** TTL of the answers (default 60). */
  ttl?: number;
}

export interface DnsServer {
  port: number;
  /** "127.0.0.1:PORT", for dns.servers in the gateway config or Resolver.setServers(). */
  address: string;
  /** Replaces the whole zone (or, with merge, adds/replaces the given names). */
  setRecords(zone: DnsZone, opts?: { merge?: boolean }): void;
  /** Queries received so far, oldest first. */
  queries: DnsQueryLog[];
  stop(): Promise<void>;
}

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

function txtChunks(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out.length ? out : [Buffer.alloc(0)];
}

function normalizeZone(zone: DnsZone): Map<string, DnsRecords> {
  return new Map(Object.entries(zone).map(([k, v]) => [norm(k), v]));
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startDnsServer(zone: DnsZone = {}, opts: DnsServerOptions = {}): Promise<DnsServer> {
  let records = normalizeZone(zone);
  const ttl = opts.ttl ?? 60;
  const queries: DnsQueryLog[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const tcpSockets = new Set<Socket>();

  /** Builds the response for one query; undefined = do not answer. */
  const answer = (query: DecodedPacket, proto: 'udp' | 'tcp'): { packet: Buffer; delay: number } | undefined => {
    const q = query.questions?.[0];
    const base = { type: 'response' as const, id: query.id, questions: query.questions ?? [] };
    const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
    const aa = dnsPacket.AUTHORITATIVE_ANSWER | rd;
    if (!q) return { packet: dnsPacket.encode({ ...base, flags: rd | RCODES.FORMERR }), delay: 0 };
    queries.push({ name: q.name, type: q.type, proto });

    let name = q.name; // owner names keep the case of the question
    const answers: Answer[] = [];
    let rec = records.get(norm(name));
    let delay = opts.delayMs ?? 0;
    // Follow CNAMEs within the zone.
    for (let hops = 0; rec?.CNAME && q.type !== 'CNAME' && hops < 8; hops++) {
      answers.push({ type: 'CNAME', name, ttl, data: rec.CNAME });
      delay = Math.max(delay, rec.delayMs ?? 0);
      name = rec.CNAME;
      rec = records.get(norm(name));
    }
    if (rec?.drop) return undefined;
    delay = Math.max(delay, rec?.delayMs ?? 0);
    if (!rec) {
      const flags = answers.length ? aa : aa | RCODES.NXDOMAIN;
      return { packet: dnsPacket.encode({ ...base, flags, answers }), delay };
    }
    if (rec.rcode) return { packet: dnsPacket.encode({ ...base, flags: aa | RCODES[rec.rcode] }), delay };

    const want = (t: string) => q.type === t || (q.type as string) === 'ANY';
    if (want('A')) for (const a of rec.A ?? []) answers.push({ type: 'A', name, ttl, data: a });
    if (want('AAAA')) for (const a of rec.AAAA ?? []) answers.push({ type: 'AAAA', name, ttl, data: a });
    if (want('MX')) for (const m of rec.MX ?? []) answers.push({ type: 'MX', name, ttl, data: { exchange: m.exchange, preference: m.priority } });
    if (want('TXT')) for (const t of rec.TXT ?? []) answers.push({ type: 'TXT', name, ttl, data: txtChunks(t) });
    if (want('PTR')) for (const p of rec.PTR ?? []) answers.push({ type: 'PTR', name, ttl, data: p });
    if (q.type === 'CNAME' && rec.CNAME) answers.push({ type: 'CNAME', name, ttl, data: rec.CNAME });

    let packet = dnsPacket.encode({ ...base, flags: aa, answers });
    if (proto === 'udp' && packet.length > 512) {
      packet = dnsPacket.encode({ ...base, flags: aa | dnsPacket.TRUNCATED_RESPONSE });
    }
    return { packet, delay };
  };

  const later = (delay: number, fn: () => void) => {
    if (delay <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, delay);
    timers.add(t);
  };

  const bindBoth = async (): Promise<{ udp: UdpSocket; tcp: Server; port: number }> => {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const udp = createSocket('udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, '127.0.0.1', () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        if (attempt < 10) continue;
        throw err;
      }
      const tcp = createServer();
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        if (attempt < 10) continue;
        throw err;
      }
      return { udp, tcp, port };
    }
  };

  const { udp, tcp, port } = await bindBoth();

  udp.on('message', (msg, rinfo) => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const r = answer(query, 'udp');
    if (r) later(r.delay, () => udp.send(r.packet, rinfo.port, rinfo.address, () => {}));
  });
  udp.on('error', () => {});

  tcp.on('connection', (sock) => {
    tcpSockets.add(sock);
    sock.on('close', () => tcpSockets.delete(sock));
    sock.on('error', () => {});
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let query: DecodedPacket;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          sock.destroy();
          return;
        }
        const r = answer(query, 'tcp');
        if (r) {
          const lenBuf = Buffer.alloc(2);
          lenBuf.writeUInt16BE(r.packet.length);
          later(r.delay, () => {
            if (!sock.destroyed) sock.write(Buffer.concat([lenBuf, r.packet]));
          });
        }
      }
    });
  });

  return {
    port,
    address: `127.0.0.1:${port}`,
    queries,
    setRecords(z: DnsZone, { merge = false } = {}) {
      const next = normalizeZone(z);
      records = merge ? new Map([...records, ...next]) : next;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}
