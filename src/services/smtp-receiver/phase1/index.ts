// Phase 1 in one place: the connection filters smtp-receiver runs before it answers 250.
// connect → dynamic block and per-IP limits; MAIL FROM → rate, anti-spoofing, RBL; RCPT refusals
// → penetration defence; DATA → SPF/DKIM/DMARC/ARC and ARBL (message-inspector.ts). Trusted
// networks and authenticated clients skip all of it: they are our own side.
import type { SMTPServerSession } from 'smtp-server';
import type { Config } from '../../../config/schema.ts';
import { NetworkList } from '../../../core/networks.ts';
import { SmtpError } from '../../../core/smtp-error.ts';
import type { Logger } from '../../log-manager/logger.ts';
import type { ClientFacts, RecipientPolicy } from '../recipient-policy.ts';
import { checkSpoofedSender } from './anti-spoofing.ts';
import { createDnsClient, type DnsClient } from './dns-client.ts';
import { createMessageInspector, type DataInspector } from './message-inspector.ts';
import { PenetrationDefence } from './penetration-defence.ts';
import { RblChecker } from './rbl.ts';
import { unwrapPrvs, type BatvTags } from '../../spamfinder/batv.ts';

export interface Phase1Deps {
  config: Config;
  policy: RecipientPolicy;
  log: Logger;
  dns?: DnsClient;
  /** BATV tags (spamfinder.batv); absent = prvs= addresses are only unwrapped. */
  batv?: BatvTags | null;
}

const BATV_REFUSAL = {
  none: 'this address only sends signed mail and takes bounces to its signed return path (no BATV tag)',
  expired: 'the BATV tag of this return path has expired',
  forged: 'the BATV tag of this return path is not ours',
} as const;

export class Phase1Filters {
  readonly defence: PenetrationDefence;
  readonly rbl: RblChecker;
  private readonly dns: DnsClient;
  private readonly trusted: NetworkList;
  /** Sessions counted at connect (refused ones are not, so their close must not count down). */
  private readonly counted = new Set<string>();

  constructor(private readonly d: Phase1Deps) {
    const c = d.config;
    const sf = c.spamfinder;
    this.trusted = new NetworkList(c.trustedNetworks);
    this.dns = d.dns ?? createDnsClient({ servers: c.dns.servers, timeout: c.dns.timeout });
    this.rbl = new RblChecker({
      lists: sf.rbl.lists,
      exempt: [this.trusted, new NetworkList(sf.rbl.exceptions)],
      dns: this.dns,
      onRefused: (zone, answer) => d.log.warn(`blocklist ${zone} refused our query (${answer}); check the DNS resolver it sees`),
    });
    this.defence = new PenetrationDefence({
      maxInvalidRecipients: sf.penetration.maxInvalidRecipients,
      blockTime: sf.penetration.blockTime,
      connectionsPerIp: sf.limits.connectionsPerIp,
      connectionRatePerIp: sf.limits.connectionRatePerIp,
      messageRatePerIp: sf.limits.messageRatePerIp,
      exempt: (ip) => this.trusted.contains(ip),
    });
  }

  /** onConnect: throws the refusal (554 blocked, 421 over a limit). */
  connect(session: SMTPServerSession): void {
    this.defence.connect(session.remoteAddress);
    this.counted.add(session.id);
  }

  close(session: SMTPServerSession): void {
    if (this.counted.delete(session.id)) this.defence.disconnect(session.remoteAddress);
  }

  /** onMailFrom: per-IP mail rate, anti-spoofing and the RBL, for clients that are not ours. */
  async mailFrom(sender: string, client: ClientFacts): Promise<void> {
    if (this.d.policy.mayRelay(client)) return;
    this.defence.mail(client.clientIp);
    if (this.d.config.spamfinder.antiSpoofing) checkSpoofedSender(sender, client, this.d.policy);
    const hit = await this.rbl.lookup(client.clientIp);
    if (hit) {
      this.d.log.info(`refused ${client.clientIp}: listed at ${hit.zone} (${hit.answer})`, { clientIp: client.clientIp, filter: 'RBL' });
      throw new SmtpError(554, '5.7.1', `Service unavailable; client host [${client.clientIp}] blocked using ${hit.zone}`);
    }
  }

  /**
   * RCPT: the address to check and deliver to. A bounce (null sender) from outside to a local
   * address must carry a valid BATV tag when BATV is on, else 550 5.7.1; a prvs= address is
   * unwrapped. The refusal does not count as an invalid recipient (penetration defence): the
   * bouncing MTA is honest, only the mail it answers was forged.
   */
  async recipient(address: string, sender: string, client: ClientFacts): Promise<string> {
    const batv = this.d.batv;
    if (!batv?.enabled || !this.d.policy.isLocal(address) || this.d.policy.mayRelay(client)) return this.deliveryAddress(address);
    let check;
    try {
      check = await batv.verify(address);
    } catch (err) {
      throw new SmtpError(451, '4.3.0', 'Temporary local problem checking the return path tag, try again later', { cause: err });
    }
    if (sender || check.state === 'valid') return check.address;
    this.d.log.info(`refused a bounce to <${address}> from ${client.clientIp}: BATV tag ${check.state}`, { clientIp: client.clientIp, filter: 'BATV' });
    throw new SmtpError(550, '5.7.1', `<${address}>: Bounce refused: ${BATV_REFUSAL[check.state as keyof typeof BATV_REFUSAL]}`);
  }

  /** The address a recipient is delivered to: a local prvs= address without its tag (verified at RCPT where it matters). */
  deliveryAddress(address: string): string {
    return this.d.policy.isLocal(address) ? unwrapPrvs(address) : address;
  }

  /** A recipient was refused: returns the reply to send (a 421 that disconnects once the client crossed the limit). */
  recipientRefused(err: unknown, client: ClientFacts): unknown {
    if (!(err instanceof SmtpError) || err.temporary) return err;
    const cut = this.defence.invalidRecipient(client.clientIp);
    if (!cut) return err;
    this.d.log.warn(`penetration defence: ${client.clientIp} blocked after too many invalid recipients`, { clientIp: client.clientIp, filter: 'PENETRATION' });
    return cut;
  }

  /** The DATA inspector for a message from a client that is not ours; null for our own side. */
  inspector(client: ClientFacts, session: SMTPServerSession, sender: string): DataInspector | null {
    if (this.d.policy.mayRelay(client)) return null;
    const c = this.d.config;
    const sf = c.spamfinder;
    const arbl = sf.rbl.received && this.rbl.active ? { rbl: this.rbl, maxRelays: sf.rbl.maxRelays } : null;
    if (!sf.auth.enabled && !arbl) return null;
    return createMessageInspector(
      {
        hostname: c.hostname,
        dns: this.dns,
        // SPF alone may take ten lookups in a row; each has dns.timeout, the whole gets a bound too.
        deadline: c.dns.timeout * 4,
        auth: sf.auth,
        arbl,
        log: this.d.log,
      },
      { ip: client.clientIp, helo: session.hostNameAppearsAs ?? '', sender },
    );
  }
}
