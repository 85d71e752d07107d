// Anti-spoofing at MAIL FROM: a client outside trustedNetworks that has not authenticated may not
// use one of our own domains as its envelope sender. Our own users come through trusted relays
// or AUTH; anyone else claiming to be us is forging.
import { SmtpError } from '../../../core/smtp-error.ts';
import type { ClientFacts, RecipientPolicy } from '../recipient-policy.ts';

/** Throws 550 5.7.1 when `sender` claims a local domain from a client that may not. */
export function checkSpoofedSender(sender: string, client: ClientFacts, policy: RecipientPolicy): void {
  if (!sender || !sender.includes('@')) return;
  if (!policy.isLocal(sender) || policy.mayRelay(client)) return;
  throw new SmtpError(550, '5.7.1', `<${sender}>: Sender address rejected: local domain used from outside without authentication`);
}
