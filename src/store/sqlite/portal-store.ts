// The encryption portal on SQLite (tables portal_messages and portal_accounts, migration 011).
// Promises: writes are durable before they resolve; a deposit with a known id changes nothing;
// a re-wrap is a compare-and-set on the current wrap, so only one first visit wins.
import type Database from 'better-sqlite3';
import type { PortalAccount, PortalKeyWrap, PortalMessage, PortalStore } from '../store.ts';
import { PORTAL_MESSAGE_COLUMNS, toPortalAccount, toPortalMessage, type PortalAccountRow, type PortalMessageRow } from '../rows/portal-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqlitePortalStore implements PortalStore {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO portal_messages (id, mail_id, recipient, sender, from_header, subject, wrap, wrapped_key, salt, size, content, created_at, expires_at)
         VALUES (@id, @mailId, @recipient, @sender, @from, @subject, @wrap, @wrappedKey, @salt, @size, @content, @now, @expiresAt)`,
      ),
      get: db.prepare(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages WHERE id = ?`),
      content: db.prepare('SELECT content FROM portal_messages WHERE id = ?').pluck(),
      rewrap: db.prepare('UPDATE portal_messages SET wrap = ?, wrapped_key = ?, salt = ?, opened_at = COALESCE(opened_at, ?) WHERE id = ? AND wrap = ?'),
      opened: db.prepare('UPDATE portal_messages SET opened_at = ? WHERE id = ? AND opened_at IS NULL'),
      reply: db.prepare('UPDATE portal_messages SET replies = replies + 1 WHERE id = ?'),
      listAll: db.prepare(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages ORDER BY created_at DESC, id LIMIT ? OFFSET ?`),
      listFor: db.prepare(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages WHERE recipient = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?`),
      remove: db.prepare('DELETE FROM portal_messages WHERE id = ?'),
      purge: db.prepare('DELETE FROM portal_messages WHERE expires_at < ?'),
      account: db.prepare('SELECT * FROM portal_accounts WHERE address = ?'),
      addAccount: db.prepare('INSERT OR IGNORE INTO portal_accounts (address, salt, kdf, verifier, created_at) VALUES (?, ?, ?, ?, ?)'),
      removeAccount: db.prepare('DELETE FROM portal_accounts WHERE address = ?'),
    };
  }

  deposit(m: Omit<PortalMessage, 'createdAt' | 'openedAt' | 'replies'>, content: Buffer, now: number): Promise<boolean> {
    const row = { ...m, recipient: m.recipient.toLowerCase(), content, now };
    return this.writes.run(() => this.st.insert.run(row).changes > 0, true);
  }

  async get(id: string): Promise<PortalMessage | null> {
    const r = this.st.get.get(id) as PortalMessageRow | undefined;
    return r ? toPortalMessage(r) : null;
  }

  async content(id: string): Promise<Buffer | null> {
    return (this.st.content.get(id) as Buffer | undefined) ?? null;
  }

  rewrap(id: string, from: PortalKeyWrap, to: { wrap: PortalKeyWrap; wrappedKey: Buffer; salt: Buffer | null }, now: number): Promise<boolean> {
    return this.writes.run(() => this.st.rewrap.run(to.wrap, to.wrappedKey, to.salt, now, id, from).changes > 0, true);
  }

  markOpened(id: string, now: number): Promise<void> {
    return this.writes.run(() => void this.st.opened.run(now, id), true);
  }

  addReply(id: string): Promise<void> {
    return this.writes.run(() => void this.st.reply.run(id), true);
  }

  async list(f: { recipient?: string; limit?: number; offset?: number } = {}): Promise<PortalMessage[]> {
    const limit = f.limit ?? 100;
    const offset = f.offset ?? 0;
    const rows = (f.recipient !== undefined ? this.st.listFor.all(f.recipient.toLowerCase(), limit, offset) : this.st.listAll.all(limit, offset)) as PortalMessageRow[];
    return rows.map(toPortalMessage);
  }

  remove(id: string): Promise<boolean> {
    return this.writes.run(() => this.st.remove.run(id).changes > 0, true);
  }

  purge(now: number): Promise<number> {
    return this.writes.run(() => this.st.purge.run(now).changes, true);
  }

  async account(address: string): Promise<PortalAccount | null> {
    const r = this.st.account.get(address.toLowerCase()) as PortalAccountRow | undefined;
    return r ? toPortalAccount(r) : null;
  }

  addAccount(a: PortalAccount): Promise<boolean> {
    return this.writes.run(() => this.st.addAccount.run(a.address.toLowerCase(), a.salt, a.kdf, a.verifier, a.createdAt).changes > 0, true);
  }

  removeAccount(address: string): Promise<boolean> {
    return this.writes.run(() => this.st.removeAccount.run(address.toLowerCase()).changes > 0, true);
  }
}
