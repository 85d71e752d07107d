// Phase-1 decisions at MAIL/RCPT: who may relay (trusted networks and authenticated users only,
// never an open relay), which local recipients exist, and the mail's direction.
import type { Direction } from '../../core/mail.ts';
import { SmtpError } from '../../core/smtp-error.ts';
import { NetworkList } from '../../core/networks.ts';

export interface RecipientPolicyConfig {
  domains: string[];
  trustedNetworks: string[];
  recipients: string[];
}

export interface ClientFacts {
  clientIp: string;
  authUser?: string;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

export class RecipientPolicy {
  private readonly local: Set<string>;
  private readonly trusted: NetworkList;
  private readonly known: Set<string> | null;

  constructor(c: RecipientPolicyConfig) {
    this.local = new Set(c.domains.map((d) => d.toLowerCase()));
    this.trusted = new NetworkList(c.trustedNetworks);
    this.known = c.recipients.length ? new Set(c.recipients.map((r) => r.toLowerCase())) : null;
  }

  isLocal(address: string): boolean {
    return this.local.has(domainOf(address));
  }

  /** A client that may send outward: trusted network or authenticated. */
  mayRelay(c: ClientFacts): boolean {
    return !!c.authUser || this.trusted.contains(c.clientIp);
  }

  /** Throws the SMTP reply for a recipient that is refused. */
  checkRecipient(address: string, c: ClientFacts): void {
    if (this.isLocal(address)) {
      if (this.known && !this.known.has(address.toLowerCase())) {
        throw new SmtpError(550, '5.1.1', `<${address}>: Recipient address rejected: User unknown`);
      }
      return;
    }
    if (!this.mayRelay(c)) throw new SmtpError(554, '5.7.1', `<${address}>: Relay access denied`);
  }

  /** inbound: from outside to us; outbound: from our side to the world; internal: ours to ours. */
  direction(recipients: string[], c: ClientFacts): Direction {
    const allLocal = recipients.every((r) => this.isLocal(r));
    if (!this.mayRelay(c)) return 'inbound';
    return allLocal ? 'internal' : 'outbound';
  }
}
