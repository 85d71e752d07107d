// Penetration defence and per-IP limits for clients outside trustedNetworks: a client that tries
// too many invalid recipients is disconnected and refused at connect for `blockTime`; concurrent
// connections, new connections per minute and mails per minute are capped per IP.
// The dynamic block list lives in memory: it protects this node and is lost on restart, which
// is acceptable for a list whose entries expire within minutes (cluster-wide sharing can come
// with the PostgreSQL store).
import { SmtpError } from '../../../core/smtp-error.ts';

export interface PenetrationOptions {
  /** Invalid recipients allowed per IP within `blockTime`; 0 = off. */
  maxInvalidRecipients: number;
  blockTime: number;
  connectionsPerIp: number;
  connectionRatePerIp: number;
  messageRatePerIp: number;
  /** Exempt clients (trustedNetworks). */
  exempt: (ip: string) => boolean;
  now?: () => number;
  /** Most IPs tracked at once (oldest forgotten first). */
  maxTracked?: number;
}

interface IpState {
  connections: number;
  invalid: number;
  invalidSince: number;
  blockedUntil: number;
  minute: number;
  connectsThisMinute: number;
  mailsThisMinute: number;
}

export interface BlockedClient {
  ip: string;
  until: number;
  invalidRecipients: number;
}

export class PenetrationDefence {
  private readonly ips = new Map<string, IpState>();
  private readonly now: () => number;

  constructor(private readonly o: PenetrationOptions) {
    this.now = o.now ?? Date.now;
  }

  private state(ip: string): IpState {
    let s = this.ips.get(ip);
    if (!s) {
      if (this.ips.size >= (this.o.maxTracked ?? 100_000)) this.forgetIdle();
      s = { connections: 0, invalid: 0, invalidSince: 0, blockedUntil: 0, minute: 0, connectsThisMinute: 0, mailsThisMinute: 0 };
      this.ips.set(ip, s);
    }
    const minute = Math.floor(this.now() / 60_000);
    if (s.minute !== minute) {
      s.minute = minute;
      s.connectsThisMinute = 0;
      s.mailsThisMinute = 0;
    }
    return s;
  }

  /** Drops state of IPs with no connection and no block (keeps memory bounded). */
  private forgetIdle(): void {
    const t = this.now();
    for (const [ip, s] of this.ips) if (s.connections === 0 && s.blockedUntil <= t) this.ips.delete(ip);
    if (this.ips.size >= (this.o.maxTracked ?? 100_000)) this.ips.delete(this.ips.keys().next().value as string);
  }

  /** At connect: refuses blocked clients and those over their connection limits. */
  connect(ip: string): void {
    if (this.o.exempt(ip)) return;
    const s = this.state(ip);
    if (s.blockedUntil > this.now()) {
      throw new SmtpError(554, '5.7.1', `Client ${ip} is blocked for ${Math.ceil((s.blockedUntil - this.now()) / 1000)} s after too many invalid recipients`);
    }
    if (this.o.connectionsPerIp && s.connections >= this.o.connectionsPerIp) {
      throw new SmtpError(421, '4.7.0', `Too many connections from ${ip}, try again later`);
    }
    if (this.o.connectionRatePerIp && s.connectsThisMinute >= this.o.connectionRatePerIp) {
      throw new SmtpError(421, '4.7.0', `Too many connections from ${ip} per minute, try again later`);
    }
    s.connections++;
    s.connectsThisMinute++;
  }

  disconnect(ip: string): void {
    if (this.o.exempt(ip)) return;
    const s = this.ips.get(ip);
    if (s && s.connections > 0) s.connections--;
  }

  /** At MAIL FROM: the per-IP mail rate. */
  mail(ip: string): void {
    if (this.o.exempt(ip) || !this.o.messageRatePerIp) return;
    const s = this.state(ip);
    if (s.mailsThisMinute >= this.o.messageRatePerIp) {
      throw new SmtpError(450, '4.7.1', `Too many mails from ${ip} per minute, try again later`);
    }
    s.mailsThisMinute++;
  }

  /**
   * An invalid recipient was refused. Returns the 421 to send instead of the refusal when this
   * one crossed the limit: the client is then blocked and disconnected.
   */
  invalidRecipient(ip: string): SmtpError | null {
    if (this.o.exempt(ip) || !this.o.maxInvalidRecipients) return null;
    const s = this.state(ip);
    const t = this.now();
    if (t - s.invalidSince > this.o.blockTime) {
      s.invalid = 0;
      s.invalidSince = t;
    }
    s.invalid++;
    if (s.invalid < this.o.maxInvalidRecipients) return null;
    s.blockedUntil = t + this.o.blockTime;
    return new SmtpError(421, '4.7.0', `Too many invalid recipients from ${ip}; blocked, closing connection`);
  }

  blocked(): BlockedClient[] {
    const t = this.now();
    return [...this.ips].filter(([, s]) => s.blockedUntil > t).map(([ip, s]) => ({ ip, until: s.blockedUntil, invalidRecipients: s.invalid }));
  }

  unblock(ip: string): boolean {
    const s = this.ips.get(ip);
    if (!s || s.blockedUntil <= this.now()) return false;
    s.blockedUntil = 0;
    s.invalid = 0;
    return true;
  }
}
