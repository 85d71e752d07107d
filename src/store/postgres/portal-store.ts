// The encryption portal on PostgreSQL (tables portal_messages and portal_accounts, migration
// 201; mirrors sqlite/portal-store.ts). Writes resolve after COMMIT; a deposit with a known id
// changes nothing; a re-wrap is one compare-and-set UPDATE, so of two first visits on two nodes
// only one wins.
import type { PortalAccount, PortalKeyWrap, PortalMessage, PortalStore } from '../store.ts';
import { PORTAL_MESSAGE_COLUMNS, toPortalAccount, toPortalMessage, type PortalAccountRow, type PortalMessageRow } from '../rows/portal-row.ts';
import type { PgDatabase } from './database.ts';

export class PgPortalStore implements PortalStore {
  constructor(private readonly db: PgDatabase) {}

  async deposit(m: Omit<PortalMessage, 'createdAt' | 'openedAt' | 'replies'>, content: Buffer, now: number): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO portal_messages (id, mail_id, recipient, sender, from_header, subject, wrap, wrapped_key, salt, size, content, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING`,
      [m.id, m.mailId, m.recipient.toLowerCase(), m.sender, m.from, m.subject, m.wrap, m.wrappedKey, m.salt, m.size, content, now, m.expiresAt],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async get(id: string): Promise<PortalMessage | null> {
    const r = (await this.db.query<PortalMessageRow>(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages WHERE id = $1`, [id])).rows[0];
    return r ? toPortalMessage(r) : null;
  }

  async content(id: string): Promise<Buffer | null> {
    return (await this.db.query<{ content: Buffer }>('SELECT content FROM portal_messages WHERE id = $1', [id])).rows[0]?.content ?? null;
  }

  async rewrap(id: string, from: PortalKeyWrap, to: { wrap: PortalKeyWrap; wrappedKey: Buffer; salt: Buffer | null }, now: number): Promise<boolean> {
    const r = await this.db.query(
      'UPDATE portal_messages SET wrap = $1, wrapped_key = $2, salt = $3, opened_at = COALESCE(opened_at, $4) WHERE id = $5 AND wrap = $6',
      [to.wrap, to.wrappedKey, to.salt, now, id, from],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async markOpened(id: string, now: number): Promise<void> {
    await this.db.query('UPDATE portal_messages SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL', [now, id]);
  }

  async addReply(id: string): Promise<void> {
    await this.db.query('UPDATE portal_messages SET replies = replies + 1 WHERE id = $1', [id]);
  }

  async list(f: { recipient?: string; limit?: number; offset?: number } = {}): Promise<PortalMessage[]> {
    const limit = f.limit ?? 100;
    const offset = f.offset ?? 0;
    const order = 'ORDER BY created_at DESC, id COLLATE "C"';
    const r =
      f.recipient !== undefined
        ? await this.db.query<PortalMessageRow>(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages WHERE recipient = $1 ${order} LIMIT $2 OFFSET $3`, [f.recipient.toLowerCase(), limit, offset])
        : await this.db.query<PortalMessageRow>(`SELECT ${PORTAL_MESSAGE_COLUMNS} FROM portal_messages ${order} LIMIT $1 OFFSET $2`, [limit, offset]);
    return r.rows.map(toPortalMessage);
  }

  async remove(id: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM portal_messages WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  async purge(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM portal_messages WHERE expires_at < $1', [now])).rowCount ?? 0;
  }

  async account(address: string): Promise<PortalAccount | null> {
    const r = (await this.db.query<PortalAccountRow>('SELECT * FROM portal_accounts WHERE address = $1', [address.toLowerCase()])).rows[0];
    return r ? toPortalAccount(r) : null;
  }

  async addAccount(a: PortalAccount): Promise<boolean> {
    const r = await this.db.query('INSERT INTO portal_accounts (address, salt, kdf, verifier, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
      a.address.toLowerCase(),
      a.salt,
      a.kdf,
      a.verifier,
      a.createdAt,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async removeAccount(address: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM portal_accounts WHERE address = $1', [address.toLowerCase()])).rowCount ?? 0) > 0;
  }
}
