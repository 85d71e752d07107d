// The portal's messages at rest: deposit seals a mail under a fresh content key wrapped under the
// appliance's portal key (or at once under a sender's password); unlock takes the recipient's
// password, sets it on first use, re-wraps the key under it (after which the appliance key alone
// no longer opens the mail) and gives back the content key. Wrong passwords open nothing.
import { createHmac } from 'node:crypto';
import type { PortalMessage, PortalStore } from '../../store/store.ts';
import { messageKek, newContentKey, newSalt, open, passwordSecret, PORTAL_KDF, seal, verifierMatches, verifierOf } from './portal-crypto.ts';

export interface DepositInput {
  mailId: string;
  recipient: string;
  sender: string;
  from: string;
  subject: string;
  raw: Buffer;
  senderPassword: string | null;
  expiresAt: number;
}

/** What the password page must ask for. */
export type PasswordStep = 'set' | 'enter' | 'enter-sender';

/**
 * `secret` is the recipient's password secret when the portal password (not a sender's) opened the
 * mail: held in a session's memory, it opens the recipient's other mails (openWithSecret).
 */
export type UnlockResult =
  | { ok: true; key: Buffer; message: PortalMessage; secret: Buffer | null }
  | { ok: false; reason: 'wrong-password' | 'gone' | 'too-short' | 'mismatch' | 'sender-password' };

export class PortalVault {
  constructor(
    private readonly store: PortalStore,
    private readonly applianceKey: Buffer,
    private readonly minPassword: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stable per (mail, recipient): a stage that runs twice deposits once. Never starts with "-":
   * admins pass it on the command line (`gatehouse portal delete ID`), where it would read as an option.
   */
  idFor(mailId: string, recipient: string): string {
    const id = createHmac('sha256', this.applianceKey).update(`portal-id\n${mailId}\n${recipient.toLowerCase()}`).digest().subarray(0, 18).toString('base64url');
    return id.startsWith('-') ? `Z${id.slice(1)}` : id;
  }

  async deposit(d: DepositInput): Promise<string> {
    const id = this.idFor(d.mailId, d.recipient);
    const contentKey = newContentKey();
    let wrap: PortalMessage['wrap'] = 'appliance';
    let salt: Buffer | null = null;
    let kek = this.applianceKey;
    if (d.senderPassword !== null) {
      wrap = 'sender';
      salt = newSalt();
      kek = messageKek(await passwordSecret(d.senderPassword, salt), id);
    }
    const content = seal(contentKey, id, d.raw);
    const message = { id, mailId: d.mailId, recipient: d.recipient.toLowerCase(), sender: d.sender, from: d.from, subject: d.subject, wrap, wrappedKey: seal(kek, id, contentKey), salt, size: d.raw.length, expiresAt: d.expiresAt };
    await this.store.deposit(message, content, this.now());
    return id;
  }

  get(id: string): Promise<PortalMessage | null> {
    return this.store.get(id);
  }

  /** Whether the recipient has set a portal password already. */
  async hasPassword(recipient: string): Promise<boolean> {
    return (await this.store.account(recipient.toLowerCase())) !== null;
  }

  async step(m: PortalMessage): Promise<PasswordStep> {
    if (m.wrap === 'sender') return 'enter-sender';
    if (m.wrap === 'recipient') return 'enter';
    return (await this.store.account(m.recipient)) ? 'enter' : 'set';
  }

  /** Checks (or, on the first visit, sets) the password and gives back the content key. */
  async unlock(id: string, password: string, confirm?: string): Promise<UnlockResult> {
    const m = await this.store.get(id);
    if (!m) return { ok: false, reason: 'gone' };
    if (m.wrap === 'sender') return this.openWith(m, await passwordSecret(password, m.salt!), null);
    let account = await this.store.account(m.recipient);
    if (!account) {
      if (password.length < this.minPassword) return { ok: false, reason: 'too-short' };
      if (confirm !== password) return { ok: false, reason: 'mismatch' };
      const salt = newSalt();
      const secret = await passwordSecret(password, salt);
      await this.store.addAccount({ address: m.recipient, salt, kdf: PORTAL_KDF, verifier: verifierOf(secret), createdAt: this.now() });
      account = (await this.store.account(m.recipient))!; // another first visit may have won the race
    }
    return this.openWithAccount(m, await passwordSecret(password, account.salt), account.verifier);
  }

  /**
   * Opens another mail of the same recipient with the secret a portal-password visit gave back
   * (re-wrapping it on its first opening). A mail wrapped under a sender's password needs that
   * password (`sender-password`); a reset account no longer matches (`wrong-password`).
   */
  async openWithSecret(id: string, recipient: string, secret: Buffer): Promise<UnlockResult> {
    const m = await this.store.get(id);
    if (!m || m.recipient !== recipient.toLowerCase()) return { ok: false, reason: 'gone' };
    if (m.wrap === 'sender') return { ok: false, reason: 'sender-password' };
    const account = await this.store.account(m.recipient);
    if (!account) return { ok: false, reason: 'wrong-password' };
    return this.openWithAccount(m, secret, account.verifier);
  }

  /** The recipient's mails still in the portal, newest first (no content). */
  async list(recipient: string, limit = 200): Promise<PortalMessage[]> {
    const now = this.now();
    return (await this.store.list({ recipient: recipient.toLowerCase(), limit })).filter((m) => m.expiresAt >= now);
  }

  private async openWithAccount(m: PortalMessage, secret: Buffer, verifier: Buffer): Promise<UnlockResult> {
    const id = m.id;
    if (!verifierMatches(secret, verifier)) return { ok: false, reason: 'wrong-password' };
    if (m.wrap === 'recipient') return this.openWith(m, secret, secret);
    const key = open(this.applianceKey, id, m.wrappedKey);
    if (!key) return { ok: false, reason: 'gone' }; // a different portal.key: nothing can open it
    const wrappedKey = seal(messageKek(secret, id), id, key);
    if (!(await this.store.rewrap(id, 'appliance', { wrap: 'recipient', wrappedKey, salt: null }, this.now()))) {
      const again = await this.store.get(id);
      return again ? this.openWith(again, secret, secret) : { ok: false, reason: 'gone' };
    }
    return { ok: true, key, message: (await this.store.get(id)) ?? m, secret };
  }

  private async openWith(m: PortalMessage, secret: Buffer, accountSecret: Buffer | null): Promise<UnlockResult> {
    const key = open(messageKek(secret, m.id), m.id, m.wrappedKey);
    if (!key) return { ok: false, reason: 'wrong-password' };
    if (m.openedAt === null) await this.store.markOpened(m.id, this.now());
    return { ok: true, key, message: m, secret: accountSecret };
  }

  /** The mail as it was deposited; null when it is gone or the key does not open it. */
  async read(id: string, key: Buffer): Promise<Buffer | null> {
    const sealed = await this.store.content(id);
    return sealed ? open(key, id, sealed) : null;
  }
}
