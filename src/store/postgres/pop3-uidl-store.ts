// POP3 UIDLs already fetched, per mailbox, shared by the cluster. Rows are added only by the
// queue store's insert (in the transaction of the mail they became); this store reads them and
// forgets the ones a server no longer lists.
import type { Pop3UidlStore } from '../store.ts';
import type { PgDatabase } from './database.ts';

export class PgPop3UidlStore implements Pop3UidlStore {
  constructor(private readonly db: PgDatabase) {}

  async fetched(mailbox: string): Promise<Map<string, string>> {
    const r = await this.db.query<{ uidl: string; mail_id: string }>('SELECT uidl, mail_id FROM pop3_uidls WHERE mailbox = $1', [mailbox]);
    return new Map(r.rows.map((x) => [x.uidl, x.mail_id]));
  }

  async forget(mailbox: string, uidls: string[]): Promise<number> {
    if (!uidls.length) return 0;
    const r = await this.db.query('DELETE FROM pop3_uidls WHERE mailbox = $1 AND uidl = ANY($2::text[])', [mailbox, uidls]);
    return r.rowCount ?? 0;
  }
}
