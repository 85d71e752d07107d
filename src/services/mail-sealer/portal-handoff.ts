// What seal-out needs from the encryption portal (portal-crypt) for a recipient without a key:
// whether it is there at all, and a deposit that stores the mail for that recipient and gives
// back the notification mail to send instead. Declared here so mail-sealer does not depend on
// portal-crypt's internals; the appliance wires the two.
import type { GeneratedMail } from '../../core/mail.ts';

export interface PortalDepositRequest {
  /** Queue id of the mail (with the recipient, it makes the deposit idempotent). */
  mailId: string;
  /** Envelope sender: receives the notification's bounces and the portal replies. */
  sender: string;
  recipient: string;
  /** The mail as the recipient should read it (the sender-password header already removed). */
  raw: Buffer;
  /** A password the sender gives the recipient through another channel; null: the recipient sets one. */
  senderPassword: string | null;
}

export type PortalDepositResult = { id: string; notification: GeneratedMail } | { failure: string };

export interface PortalHandoff {
  /** ready: deposits now; down: enabled but not running (the mail waits); absent: no portal here. */
  state(): 'ready' | 'down' | 'absent';
  /** Header in which a local sender gives the portal password (removed from every copy). */
  readonly passwordHeader: string;
  deposit(r: PortalDepositRequest): Promise<PortalDepositResult>;
}
