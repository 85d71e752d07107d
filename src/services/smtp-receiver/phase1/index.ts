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

export interface Phase1Deps {
  config: Config;
  policy: RecipientPolicy;
  log: Logger;
  dns?: DnsClient;
}

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
