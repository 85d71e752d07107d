// The `portal_messages` and `portal_accounts` row shapes both backends share (sqlite/ and
// postgres/ portal-store.ts) and their mappings; integers pass through Number() (a no-op on SQLite's numbers).
import type { PortalAccount, PortalKeyWrap, PortalMessage } from '../store.ts';

export interface PortalMessageRow {
  id: string;
  mail_id: string;
  recipient: string;
  sender: string;
  from_header: string;
  subject: string;
  wrap: string;
  wrapped_key: Buffer;
  salt: Buffer | null;
  size: number;
  created_at: number;
  expires_at: number;
  opened_at: number | null;
  replies: number;
}

export interface PortalAccountRow {
  address: string;
  salt: Buffer;
  kdf: string;
  verifier: Buffer;
  created_at: number;
}

/** The columns of a PortalMessageRow (all but the content). */
export const PORTAL_MESSAGE_COLUMNS =
  'id, mail_id, recipient, sender, from_header, subject, wrap, wrapped_key, salt, size, created_at, expires_at, opened_at, replies';

export const toPortalMessage = (r: PortalMessageRow): PortalMessage => ({
  id: r.id,
  mailId: r.mail_id,
  recipient: r.recipient,
  sender: r.sender,
  from: r.from_header,
  subject: r.subject,
  wrap: r.wrap as PortalKeyWrap,
  wrappedKey: r.wrapped_key,
  salt: r.salt,
  size: Number(r.size),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  openedAt: r.opened_at === null ? null : Number(r.opened_at),
  replies: Number(r.replies),
});

export const toPortalAccount = (r: PortalAccountRow): PortalAccount => ({
  address: r.address,
  salt: r.salt,
  kdf: r.kdf,
  verifier: r.verifier,
  createdAt: Number(r.created_at),
});
