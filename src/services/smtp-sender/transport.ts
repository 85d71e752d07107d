// Hands one mail to one next hop (an address and port) for a set of recipients, over nodemailer's
// pooled SMTP client: one pool per destination so sessions are reused, a concurrency limit per
// destination, opportunistic STARTTLS, the body streamed from the store. Every outcome is per recipient.
import type { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { SMTPPoolSentMessageInfo } from 'nodemailer';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../log-manager/logger.ts';
import { Limiter } from './limiter.ts';

export interface Destination {
  /** Address (or name) to connect to. */
  host: string;
  port: number;
  /** Implicit TLS (smtps); otherwise STARTTLS when offered (required with delivery.requireTls). */
  secure?: boolean;
  /** Host name of the next hop: TLS SNI, and the Remote-MTA of a DSN. */
  servername?: string;
}

export interface DeliveryRequest {
  destination: Destination;
  /** Return path; "" is the null sender. */
  from: string;
  to: string[];
  /** Opens a fresh stream of the raw message; called once per attempt. */
  openBody: () => Readable;
  /** Aborts the delivery (service stopping): every recipient is deferred. */
  signal?: AbortSignal;
}

export interface RecipientResult {
  address: string;
  status: 'delivered' | 'failed' | 'deferred';
  /** The server's reply when `remote`, otherwise our own explanation (with a reply code). */
  response: string;
  remote: boolean;
}

export interface DeliveryResult {
  recipients: RecipientResult[];
  /**
   * The session failed before the message was handed over (connection, greeting, EHLO, TLS, a
   * temporary MAIL FROM): another MX host may do better. Every recipient is deferred then.
   */
  tryNext: boolean;
}

export interface TransportOptions {
  hostname: string;
  delivery: Config['delivery'];
  log: Logger;
  /** A destination's pool (and its connections) is closed after this long unused. Default 60 s. */
  idleTimeout?: number;
  /** Inactivity limit within a session. Default 5 min (RFC 5321 4.5.3.2 asks for minutes). */
  socketTimeout?: number;
}

export interface SmtpTransport {
  deliver(req: DeliveryRequest): Promise<DeliveryResult>;
  /** Number of destination pools currently open. */
  readonly openPools: number;
  /** Closes every pool; deliveries in flight finish first unless `force`. New deliveries open new pools. */
  close(opts?: { force?: boolean }): Promise<void>;
}

type Mailer = ReturnType<typeof createPool>;

interface PoolEntry {
  mailer: Mailer;
  limiter: Limiter;
  lastUsed: number;
}

/** Creates the egress transport: pools per destination, closed when idle or on close(). */
export function createSmtpTransport(opts: TransportOptions): SmtpTransport {
  const idleTimeout = opts.idleTimeout ?? 60_000;
  const pools = new Map<string, PoolEntry>();
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  let sweeper: NodeJS.Timeout | null = null;
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of pools) {
      if (!entry.limiter.busy && now - entry.lastUsed >= idleTimeout) {
        pools.delete(key);
        entry.mailer.close();
        opts.log.debug('closed idle delivery pool', { destination: key });
      }
    }
    if (!pools.size && sweeper) {
      clearInterval(sweeper);
      sweeper = null;
    }
  };

  const poolFor = (d: Destination): PoolEntry => {
    const key = `${d.secure ? 'smtps' : 'smtp'}://${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.port}/${d.servername ?? ''}`;
    let entry = pools.get(key);
    if (!entry) {
      entry = {
        mailer: createPool(d, opts, idleTimeout),
        limiter: new Limiter(opts.delivery.concurrencyPerDestination),
        lastUsed: Date.now(),
      };
      pools.set(key, entry);
      if (!sweeper) {
        sweeper = setInterval(sweep, Math.max(100, Math.min(idleTimeout / 2, 30_000)));
        sweeper.unref();
      }
    }
    return entry;
  };

  const deliver = async (req: DeliveryRequest): Promise<DeliveryResult> => {
    if (closed) return everyone(req, 'deferred', '451 4.3.2 Delivery service is stopping', false, false);
    const entry = poolFor(req.destination);
    const release = await entry.limiter.acquire();
    try {
      let attempt = await sendOnce(entry.mailer, req);
      // A pooled session the peer closed while idle fails before the first byte of the message
      // went out; one more try opens a fresh session and cannot duplicate the mail.
      if (attempt.err && attempt.err.code === 'ECONNECTION' && !attempt.bodyEnded && !req.signal?.aborted && !closed) {
        attempt = await sendOnce(entry.mailer, req);
      }
      return attempt.err ? fromError(req, attempt.err) : fromInfo(req, attempt.info!);
    } finally {
      entry.lastUsed = Date.now();
      release();
    }
  };

  return {
    deliver(req) {
      const p = deliver(req);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      return p;
    },
    get openPools() {
      return pools.size;
    },
    async close(closeOpts) {
      closed = true;
      if (closeOpts?.force) for (const e of pools.values()) e.mailer.close({ force: true });
      await Promise.allSettled([...inFlight]);
      for (const e of pools.values()) e.mailer.close();
      pools.clear();
      if (sweeper) clearInterval(sweeper);
      sweeper = null;
      // Usable again: the service may be started after a stop.
      closed = false;
    },
  };
}

function createPool(d: Destination, opts: TransportOptions, idleTimeout: number) {
  const requireTls = opts.delivery.requireTls && !d.secure;
  return nodemailer.createTransport({
    pool: true,
    host: d.host,
    port: d.port,
    secure: !!d.secure,
    name: opts.hostname,
    maxConnections: opts.delivery.concurrencyPerDestination,
    maxMessages: 100,
    // We reopen the body ourselves on a retry; the pool's own requeue would resend a stream it
    // may already have read from.
    maxRequeues: 0,
    idleTimeout,
    ignoreTLS: false,
    requireTLS: requireTls,
    // Opportunistic: a failed STARTTLS handshake falls back to plain text rather than deferring.
    opportunisticTLS: !requireTls,
    // Opportunistic TLS does not authenticate the peer (RFC 7435); MX certificates are mostly
    // self-signed or for another name. With requireTls the certificate must verify.
    tls: { rejectUnauthorized: requireTls, servername: d.servername && !/^[\d.:]+$/.test(d.servername) ? d.servername : undefined },
    connectionTimeout: opts.delivery.connectTimeout,
    greetingTimeout: opts.delivery.connectTimeout,
    socketTimeout: opts.socketTimeout ?? 300_000,
    logger: false,
  });
}

interface Attempt {
  info?: SMTPPoolSentMessageInfo;
  err?: NodemailerError;
  /** The whole body was read: the server may have the message although we saw no reply. */
  bodyEnded: boolean;
}

async function sendOnce(mailer: Mailer, req: DeliveryRequest): Promise<Attempt> {
  let body: Readable;
  try {
    body = req.openBody();
  } catch (err) {
    return { err: Object.assign(err as NodemailerError, { code: 'ESTREAM' }), bodyEnded: false };
  }
  try {
    const info = await mailer.sendMail({ envelope: { from: req.from, to: req.to }, raw: body, signal: req.signal });
    return { info, bodyEnded: true };
  } catch (err) {
    return { err: err as NodemailerError, bodyEnded: body.readableEnded };
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

/** The message was taken: each recipient is delivered unless it was refused at RCPT TO. */
function fromInfo(req: DeliveryRequest, info: SMTPPoolSentMessageInfo): DeliveryResult {
  const refused = byRecipient(info.rejectedErrors ?? []);
  return {
    tryNext: false,
    recipients: req.to.map((address) => {
      const r = refused.get(norm(address));
      return r ? { ...r, address } : { address, status: 'delivered', response: oneLine(info.response), remote: true };
    }),
  };
}

function fromError(req: DeliveryRequest, err: NodemailerError): DeliveryResult {
  const dest = `${req.destination.servername ?? req.destination.host}[${req.destination.host}]:${req.destination.port}`;
  if (err.code === 'EABORT') return everyone(req, 'deferred', '451 4.4.2 Delivery interrupted (service stopping)', false, false);
  // Every recipient refused at RCPT TO: nodemailer fails the send but keeps each reply.
  if (err.code === 'EENVELOPE' && err.command === 'RCPT TO' && err.rejectedErrors?.length) {
    const refused = byRecipient(err.rejectedErrors);
    const rest = replyStatus(err);
    return {
      tryNext: false,
      recipients: req.to.map((address) => {
        const r = refused.get(norm(address));
        return r ? { ...r, address } : { address, status: rest, response: oneLine(err.response ?? err.message), remote: !!err.response };
      }),
    };
  }
  const sessionLevel = err.responseCode === 421 || !err.responseCode;
  if (!sessionLevel && (err.command === 'MAIL FROM' || err.command === 'DATA')) {
    const status = replyStatus(err);
    // A 4xx to MAIL FROM means nothing was sent yet, so the next MX may take it.
    return everyone(req, status, err.response!, true, status === 'deferred' && err.command === 'MAIL FROM');
  }
  if (err.responseCode) return everyone(req, 'deferred', err.response!, true, true);
  const what = err.code === 'ESTREAM' ? 'reading the message failed' : `${dest}: ${err.message}`;
  return everyone(req, 'deferred', `451 4.4.1 ${oneLine(what)}`, false, err.code !== 'ESTREAM');
}

function everyone(req: DeliveryRequest, status: RecipientResult['status'], response: string, remote: boolean, tryNext: boolean): DeliveryResult {
  return { tryNext, recipients: req.to.map((address) => ({ address, status, response: oneLine(response), remote })) };
}

/** A 5xx refusal is permanent, anything else (4xx, 503 bad sequence) may pass on a later attempt. */
function replyStatus(err: NodemailerError): 'failed' | 'deferred' {
  if (err.permanent !== undefined) return err.permanent ? 'failed' : 'deferred';
  return (err.responseCode ?? 0) >= 500 ? 'failed' : 'deferred';
}

function byRecipient(errors: NodemailerError[]): Map<string, RecipientResult> {
  const out = new Map<string, RecipientResult>();
  for (const e of errors) {
    if (!e.recipient) continue;
    out.set(norm(e.recipient), { address: e.recipient, status: replyStatus(e), response: oneLine(e.response ?? e.message), remote: !!e.response });
  }
  return out;
}

/**
 * nodemailer normalizes envelope addresses (IDN domains to A-labels, ...), so the addresses it
 * reports are matched to ours on a normalized key; the results carry our spelling.
 */
function norm(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address.toLowerCase();
  const domain = address.slice(at + 1);
  return `${address.slice(0, at).toLowerCase()}@${(domainToASCII(domain) || domain).toLowerCase()}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
