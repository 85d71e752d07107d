// Phase-1 checks that need the message itself, run while DATA streams in and decided before the
// 250: SPF, DKIM, DMARC and ARC through mailauth (its DNS through our resolver and deadline) and
// ARBL over the Received: relays. The result is the Authentication-Results: header and the same
// facts in envelope.meta.auth for phase 2. A DNS timeout refuses with 451 4.4.3; a DMARC fail
// under p=reject is refused with 550 5.7.1 when configured.
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import type { authenticate as Authenticate } from 'mailauth';

/** mailauth (~40 MB with its public-suffix data) is loaded with the first mail from an untrusted client. */
let mailauth: Promise<typeof import('mailauth')> | null = null;
const loadMailauth = () => (mailauth ??= import('mailauth'));
import { SmtpError } from '../../../core/smtp-error.ts';
import type { Logger } from '../../log-manager/logger.ts';
import { isDnsTimeout, type DnsClient } from './dns-client.ts';
import type { RblChecker } from './rbl.ts';
import { receivedRelays } from './received-relays.ts';

/** What receiveData asks of a message inspector. */
export interface DataInspector {
  /** Every chunk of the message as received (before our Received: header). */
  write(chunk: Buffer): Promise<void> | void;
  /** After the last chunk: the trace headers to add and facts for later stages; throws SmtpError to refuse. */
  end(): Promise<InspectionResult>;
  /** The message is refused anyway (size, smuggling): stop work. */
  abort(): void;
}

export interface InspectionResult {
  /** Header lines (CRLF-terminated) to put right after our Received: header. */
  headers: string;
  meta: Record<string, unknown>;
}

export interface AuthSummary {
  spf: string;
  spfDomain?: string;
  dkim: { domain: string; result: string; aligned?: string | boolean }[];
  dmarc: { result: string; policy?: string; domain?: string } | null;
  arc: string | null;
  /** The checks could not run (a mailauth error, not DNS). */
  error?: string;
}

export interface InspectorDeps {
  hostname: string;
  dns: DnsClient;
  /** Guard for the whole authentication (many DNS queries in a row), ms. */
  deadline: number;
  auth: { enabled: boolean; dmarcReject: boolean };
  /** ARBL: the blocklists and how many relays to ask; null = off. */
  arbl: { rbl: RblChecker; maxRelays: number } | null;
  log: Logger;
}

export interface ClientSession {
  ip: string;
  helo: string;
  sender: string;
}

const HEAD_LIMIT = 64 * 1024;

export function createMessageInspector(d: InspectorDeps, client: ClientSession): DataInspector {
  let head = Buffer.alloc(0);
  let headDone = false;
  let timedOut = false;
  let aborted = false;
  const resolver = async (name: string, type: string) => {
    try {
      return await d.dns.resolve(name, type);
    } catch (err) {
      if (isDnsTimeout(err)) timedOut = true;
      throw err;
    }
  };

  let stream: PassThrough | null = null;
  let auth: Promise<Awaited<ReturnType<typeof Authenticate>> | Error> | null = null;
  if (d.auth.enabled) {
    const input = (stream = new PassThrough());
    auth = loadMailauth().then(({ authenticate }) => authenticate(input, {
      ip: client.ip,
      helo: client.helo || undefined,
      sender: client.sender,
      mta: d.hostname,
      resolver: resolver as never,
      disableBimi: true,
    })).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  }

  return {
    async write(chunk) {
      if (!headDone) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0 || head.length >= HEAD_LIMIT) {
          head = head.subarray(0, end >= 0 ? end + 4 : HEAD_LIMIT);
          headDone = true;
        }
      }
      if (stream && !aborted && !stream.write(chunk)) {
        // mailauth reads as fast as it hashes; if it failed it reads no more, so also stop on that.
        await Promise.race([once(stream, 'drain'), auth]);
      }
    },

    abort() {
      aborted = true;
      stream?.destroy();
    },

    async end() {
      const meta: Record<string, unknown> = {};
      let headers = '';
      if (stream && auth) {
        stream.end();
        let timer: NodeJS.Timeout | undefined;
        const guard = new Promise<'deadline'>((res) => (timer = setTimeout(() => res('deadline'), d.deadline)));
        const res = await Promise.race([auth, guard]).finally(() => clearTimeout(timer));
        if (res === 'deadline' || timedOut) {
          throw new SmtpError(451, '4.4.3', 'DNS lookups for SPF/DKIM/DMARC timed out, try again later');
        }
        if (res instanceof Error) {
          d.log.warn('SPF/DKIM/DMARC check failed on a message; recorded as temperror', { err: res, clientIp: client.ip });
          const summary: AuthSummary = { spf: 'temperror', dkim: [], dmarc: null, arc: null, error: res.message };
          meta.auth = summary;
          headers = `Authentication-Results: ${d.hostname}; auth=temperror (checks failed: ${res.message.replace(/[\r\n]+/g, ' ').slice(0, 120)})\r\n`;
        } else {
          const summary = summarise(res);
          meta.auth = summary;
          headers = res.headers.replace(/\r?\n/g, '\r\n');
          if (!headers.endsWith('\r\n')) headers += '\r\n';
          if (d.auth.dmarcReject && summary.dmarc?.result === 'fail' && summary.dmarc.policy === 'reject') {
            throw new SmtpError(550, '5.7.1', `Message refused: DMARC policy of ${summary.dmarc.domain} says reject and the message failed DMARC`);
          }
        }
      }
      if (d.arbl && d.arbl.rbl.active) {
        const relays = receivedRelays(head.toString('latin1'))
          .filter((ip) => ip !== client.ip && !d.arbl!.rbl.exempt(ip))
          .slice(0, d.arbl.maxRelays);
        for (const ip of relays) {
          const hit = await d.arbl.rbl.lookup(ip);
          if (hit) throw new SmtpError(554, '5.7.1', `Message refused: relay ${ip} in Received: is listed at ${hit.zone} (${hit.answer})`);
        }
        meta.arbl = { checked: relays };
      }
      return { headers, meta };
    },
  };
}

function summarise(r: Awaited<ReturnType<typeof Authenticate>>): AuthSummary {
  const dmarc = r.dmarc
    ? { result: r.dmarc.status?.result ?? 'none', policy: r.dmarc.policy, domain: r.dmarc.domain }
    : null;
  return {
    spf: r.spf ? r.spf.status.result : 'none',
    spfDomain: r.spf ? r.spf.domain : undefined,
    dkim: (r.dkim?.results ?? []).map((x) => ({ domain: x.signingDomain, result: x.status.result, aligned: x.status.aligned })),
    dmarc,
    arc: r.arc ? r.arc.status.result : null,
  };
}
