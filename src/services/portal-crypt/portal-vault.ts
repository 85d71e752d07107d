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

export type UnlockResult = { ok: true; key: Buffer; message: PortalMessage } | { ok: false; reason: 'wrong-password' | 'gone' | 'too-short' | 'mismatch' };

export class PortalVault {
  constructor(
    private readonly store: PortalStore,
    private readonly applianceKey: Buffer,
    private readonly minPassword: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stable per (mail, recipient): a stage that runs twice deposits once. */
  idFor(mailId: string, recipient: string): string {
    return createHmac('sha256', this.applianceKey).update(`portal-id\n${mailId}\n${recipient.toLowerCase()}`).digest().subarray(0, 18).toString('base64url');
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

  async step(m: PortalMessage): Promise<PasswordStep> {
    if (m.wrap === 'sender') return 'enter-sender';
    if (m.wrap === 'recipient') return 'enter';
    return (await this.store.account(m.recipient)) ? 'enter' : 'set';
  }

  /** Checks (or, on the first visit, sets) the password and gives back the content key. */
  async unlock(id: string, password: string, confirm?: string): Promise<UnlockResult> {
    const m = await this.store.get(id);
    if (!m) return { ok: false, reason: 'gone' };
    if (m.wrap === 'sender') return this.openWith(m, await passwordSecret(password, m.salt!));
    let account = await this.store.account(m.recipient);
    if (!account) {
      if (password.length < this.minPassword) return { ok: false, reason: 'too-short' };
      if (confirm !== password) return { ok: false, reason: 'mismatch' };
      const salt = newSalt();
      const secret = await passwordSecret(password, salt);
      await this.store.addAccount({ address: m.recipient, salt, kdf: PORTAL_KDF, verifier: verifierOf(secret), createdAt: this.now() });
      account = (await this.store.account(m.recipient))!; // another first visit may have won the race
    }
    const secret = await passwordSecret(password, account.salt);
    if (!verifierMatches(secret, account.verifier)) return { ok: false, reason: 'wrong-password' };
    if (m.wrap === 'recipient') return this.openWith(m, secret);
    const key = open(this.applianceKey, id, m.wrappedKey);
    if (!key) return { ok: false, reason: 'gone' }; // a different portal.key: nothing can open it
    const wrappedKey = seal(messageKek(secret, id), id, key);
    if (!(await this.store.rewrap(id, 'appliance', { wrap: 'recipient', wrappedKey, salt: null }, this.now()))) {
      const again = await this.store.get(id);
      return again ? this.openWith(again, secret) : { ok: false, reason: 'gone' };
    }
    return { ok: true, key, message: (await this.store.get(id)) ?? m };
  }

  private async openWith(m: PortalMessage, secret: Buffer): Promise<UnlockResult> {
    const key = open(messageKek(secret, m.id), m.id, m.wrappedKey);
    if (!key) return { ok: false, reason: 'wrong-password' };
    if (m.openedAt === null) await this.store.markOpened(m.id, this.now());
    return { ok: true, key, message: m };
  }

  /** The mail as it was deposited; null when it is gone or the key does not open it. */
  async read(id: string, key: Buffer): Promise<Buffer | null> {
    const sealed = await this.store.content(id);
    return sealed ? open(key, id, sealed) : null;
  }
}
