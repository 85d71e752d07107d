// What the admin plane may do with the POP3 mailboxes (API `/api/v1/pop3`, CLI `gatehouse pop3`).
// ApplianceControl.pop3 is this; the pop3-proxy service implements it.
import type { MailboxStatus } from './mailbox-runner.ts';

export type { MailboxStatus };

export interface Pop3FetchReport {
  /** False when the fetch failed; `error` says why (also the mailbox's lastError). */
  ok: boolean;
  fetched: number;
  deleted: number;
  skipped: number;
  error: string | null;
  mailbox: MailboxStatus;
}

export interface Pop3Control {
  list(): Promise<MailboxStatus[]>;
  /** Throws ControlError MAILBOX_NOT_FOUND. */
  get(name: string): Promise<MailboxStatus>;
  /** Fetches the mailbox now; throws SERVICE_NOT_RUNNING while pop3-proxy is stopped. */
  fetch(name: string, actor: string): Promise<Pop3FetchReport>;
  /** Adds or replaces a mailbox kept by the appliance (not one from the config file). */
  put(mailbox: unknown, actor: string): Promise<MailboxStatus>;
  remove(name: string, actor: string): Promise<void>;
}
