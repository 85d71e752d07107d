// Protocol peers and fakes for the smtp-sender tests: a receiving MTA (smtp-server) and a tiny
// authoritative DNS server (dns-packet over UDP), both on 127.0.0.1, plus a claimed mail, a stage
// context and a config. Only the tests import this file.
import { createSocket } from 'node:dgram';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { configSchema, type Config, type ConfigInput } from '../../config/schema.ts';
import type { Envelope, Recipient } from '../../core/mail.ts';
import type { StageContext } from '../../flow/stage.ts';
import type { BodyStore, ClaimedMail, LogRecord } from '../../store/store.ts';
import { createLogger, type Logger } from '../log-manager/logger.ts';

export interface ReceivedMail {
  from: string;
  to: string[];
  body: Buffer;
  /** The session was upgraded with STARTTLS. */
  secure: boolean;
}

export interface TestMta {
  port: number;
  connections: number;
  received: ReceivedMail[];
  close(): Promise<void>;
}

type Refusal = { code: number; text: string } | undefined;

/** A receiving MTA on loopback; `rcpt` may refuse an address (e.g. { code: 550, text: '5.1.1 unknown' }). */
export async function startMta(opts: { rcpt?: (address: string) => Refusal; mail?: (address: string) => Refusal; data?: () => Refusal } = {}): Promise<TestMta> {
  const mta: TestMta = { port: 0, connections: 0, received: [], close: async () => undefined };
  const refuse = (r: Refusal, cb: (err?: Error | null) => void) => {
    if (!r) return cb();
    cb(Object.assign(new Error(r.text), { responseCode: r.code }));
  };
  const server = new SMTPServer({
    disableReverseLookup: true,
    authOptional: true,
    logger: false,
    onConnect(_session, cb) {
      mta.connections++;
      cb();
    },
    onMailFrom(address: SMTPServerAddress, _session, cb) {
      refuse(opts.mail?.(address.address), cb);
    },
    onRcptTo(address: SMTPServerAddress, _session, cb) {
      refuse(opts.rcpt?.(address.address), cb);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const refusal = opts.data?.();
        if (refusal) return refuse(refusal, cb);
        mta.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(chunks),
          secure: !!session.secure,
        });
        cb(null, '2.0.0 queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mta.port = (server.server.address() as AddressInfo).port;
  mta.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return mta;
}

export interface ZoneEntry {
  MX?: { exchange: string; preference: number }[];
  A?: string[];
  AAAA?: string[];
  /** Answer with this rcode instead (e.g. 'SERVFAIL'). */
  rcode?: 'SERVFAIL' | 'REFUSED';
}

export interface TestDns {
  server: string;
  queries: string[];
  close(): Promise<void>;
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** An authoritative DNS server for `zone` on loopback; names not in it are NXDOMAIN. `silent` never answers. */
export async function startDns(zone: Record<string, ZoneEntry>, opts: { silent?: boolean } = {}): Promise<TestDns> {
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    const q = query.questions?.[0];
    if (!q) return;
    queries.push(`${q.type} ${q.name}`);
    if (opts.silent) return;
    const entry = zone[q.name.toLowerCase()];
    let rcode: number = entry ? RCODES.NOERROR : RCODES.NXDOMAIN;
    if (entry?.rcode) rcode = RCODES[entry.rcode];
    const answers: dnsPacket.Answer[] = [];
    if (entry && !entry.rcode) {
      if (q.type === 'MX') for (const mx of entry.MX ?? []) answers.push({ type: 'MX', name: q.name, ttl: 60, data: mx });
      if (q.type === 'A') for (const a of entry.A ?? []) answers.push({ type: 'A', name: q.name, ttl: 60, data: a });
      if (q.type === 'AAAA') for (const a of entry.AAAA ?? []) answers.push({ type: 'AAAA', name: q.name, ttl: 60, data: a });
    }
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: [q],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return { server: `127.0.0.1:${port}`, queries, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** A config for the tests (durations as strings, e.g. "500ms"). */
export function testConfig(input: ConfigInput): Config {
  return configSchema.parse({ hostname: 'gw.example.test', ...input });
}

export function testLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return Object.assign(createLogger('smtp-sender', [(r) => records.push(r)], 'trace'), { records });
}

export const TEST_MESSAGE = [
  'From: Alice <alice@origin.example.test>',
  'To: bob@dest.example.test',
  'Subject: Test message',
  'Message-ID: <test-1@origin.example.test>',
  'Date: Tue, 01 Jan 2030 12:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'Hello Bob,',
  'this is the body.',
  '',
].join('\r\n');

export function fakeMail(o: {
  sender: string;
  recipients: (string | Recipient)[];
  receivedAt?: number;
  attempts?: number;
  delayNotified?: boolean;
  size?: number;
  ret?: Envelope['ret'];
}): ClaimedMail {
  const receivedAt = o.receivedAt ?? Date.now();
  return {
    id: 'testmail000000000001',
    queue: 'deliver',
    envelope: {
      sender: o.sender,
      recipients: o.recipients.map((r) => (typeof r === 'string' ? { address: r, status: 'pending' } : r)),
      direction: 'outbound',
      source: 'smtp',
      ...(o.ret ? { ret: o.ret } : {}),
    },
    size: o.size ?? Buffer.byteLength(TEST_MESSAGE),
    receivedAt,
    queuedAt: receivedAt,
    notBefore: 0,
    attempts: o.attempts ?? 0,
    heldFrom: null,
    lastReason: null,
    delayNotified: o.delayNotified ?? false,
    bodyKey: 'body-key',
    leaseOwner: 'test',
    leaseUntil: receivedAt + 300_000,
  };
}

/** A stage context whose body is `body`; counts how often it was opened. */
export function fakeContext(body: string | Buffer = TEST_MESSAGE, log: Logger = testLogger(), signal = new AbortController().signal): StageContext & { opened: number } {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const unused = () => {
    throw new Error('the body store is not used by the deliver stage');
  };
  const ctx = {
    opened: 0,
    openBody() {
      ctx.opened++;
      // Several chunks, as a file stream would give.
      const parts: Buffer[] = [];
      for (let i = 0; i < buf.length; i += 16 * 1024) parts.push(buf.subarray(i, i + 16 * 1024));
      return Readable.from(parts);
    },
    readBody: async () => buf,
    bodies: { create: unused, open: unused, read: unused, remove: unused, keys: unused } as unknown as BodyStore,
    log,
    signal,
  };
  return ctx;
}
