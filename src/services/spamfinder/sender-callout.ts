// SRC (sender receive check): does the sender's own mail server accept mail for the sender
// address? MX lookup through our resolver, then EHLO, MAIL FROM:<>, RCPT TO:<sender>, QUIT with
// one deadline. A permanent "no" (5xx to RCPT, a domain without mail servers) counts against the
// mail; anything temporary or unclear decides nothing. Answers are cached per address.
import { connect, type Socket } from 'node:net';
import { SmtpError } from '../../core/smtp-error.ts';
import { lookupMx } from '../smtp-sender/mx.ts';

export type CalloutResult = { verdict: 'accepted' | 'refused' | 'undecided'; reason: string };

export interface CalloutOptions {
  hostname: string;
  dns: { servers?: string[]; timeout: number };
  /** Deadline of one callout (DNS and SMTP together), ms. */
  timeout: number;
  /** How long an answer is kept, ms. */
  cacheTtl: number;
  /** SMTP port of the mail exchangers (25; tests use their own). */
  port: number;
}

const CACHE_MAX = 10_000;

/** One SMTP dialogue; resolves with the RCPT reply (code and text). */
function dialogue(host: string, port: number, helo: string, rcpt: string, signal: AbortSignal): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port });
    let buf = '';
    let step = 0;
    const lines: string[] = [];
    const fail = (err: Error) => {
      sock.destroy();
      reject(err);
    };
    signal.addEventListener('abort', () => fail(new Error(`callout to ${host} timed out`)), { once: true });
    sock.on('error', fail);
    sock.on('close', () => reject(new Error(`${host} closed the connection`)));
    const send = (s: string) => sock.write(`${s}\r\n`);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        lines.push(line);
        if (!/^\d{3}(?: |$)/.test(line)) continue; // continuation of a multi-line reply
        const code = Number(line.slice(0, 3));
        const text = lines.splice(0).join(' ');
        if (step === 0 || step === 1 || step === 2) {
          if (code >= 400) {
            // Refused before RCPT (e.g. no null sender taken): says nothing about the address.
            send('QUIT');
            sock.end();
            return resolve({ code: 0, text });
          }
          step++;
          if (step === 1) send(`EHLO ${helo}`);
          else if (step === 2) send('MAIL FROM:<>');
          else send(`RCPT TO:<${rcpt}>`);
        } else {
          send('QUIT');
          sock.end();
          sock.removeAllListeners('close');
          sock.on('close', () => undefined);
          return resolve({ code, text });
        }
      }
    });
  });
}

export class SenderCallout {
  private readonly cache = new Map<string, { until: number; result: CalloutResult }>();

  constructor(private readonly o: CalloutOptions) {}

  async check(sender: string): Promise<CalloutResult> {
    const address = sender.toLowerCase();
    const at = address.lastIndexOf('@');
    if (!address || at < 1) return { verdict: 'undecided', reason: 'no sender address' };
    const hit = this.cache.get(address);
    if (hit && hit.until > Date.now()) return hit.result;
    const result = await this.ask(address, address.slice(at + 1));
    if (result.verdict !== 'undecided') {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(address, { until: Date.now() + this.o.cacheTtl, result });
    }
    return result;
  }

  private async ask(address: string, domain: string): Promise<CalloutResult> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.o.timeout);
    try {
      let hosts;
      try {
        hosts = await lookupMx(domain, { servers: this.o.dns.servers, timeout: Math.min(this.o.dns.timeout, this.o.timeout) });
      } catch (err) {
        if (err instanceof SmtpError && !err.temporary) return { verdict: 'refused', reason: `${domain} cannot receive mail: ${err.message}` };
        return { verdict: 'undecided', reason: `MX lookup for ${domain} failed: ${(err as Error).message}` };
      }
      const host = hosts[0];
      try {
        const r = await dialogue(host.addresses[0], this.o.port, this.o.hostname, address, ac.signal);
        if (r.code >= 200 && r.code < 300) return { verdict: 'accepted', reason: `${host.exchange} accepts <${address}>` };
        if (r.code >= 500) return { verdict: 'refused', reason: `${host.exchange} refuses <${address}>: ${r.text.slice(0, 200)}` };
        return { verdict: 'undecided', reason: `${host.exchange} answered ${r.text.slice(0, 200)}` };
      } catch (err) {
        return { verdict: 'undecided', reason: `callout to ${host.exchange} failed: ${(err as Error).message}` };
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
