// POP3 UIDLs already fetched, per mailbox. Rows are added only by the queue store's insert (in
// the transaction of the mail they became); this store reads them and forgets the ones a
// server no longer lists.
import type Database from 'better-sqlite3';
import type { Pop3UidlStore } from '../store.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqlitePop3UidlStore implements Pop3UidlStore {
  private readonly st;
  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      fetched: db.prepare('SELECT uidl, mail_id FROM pop3_uidls WHERE mailbox = ?'),
      forget: db.prepare('DELETE FROM pop3_uidls WHERE mailbox = ? AND uidl = ?'),
    };
  }

  async fetched(mailbox: string): Promise<Map<string, string>> {
    const rows = this.st.fetched.all(mailbox) as { uidl: string; mail_id: string }[];
    return new Map(rows.map((r) => [r.uidl, r.mail_id]));
  }

  forget(mailbox: string, uidls: string[]): Promise<number> {
    if (!uidls.length) return Promise.resolve(0);
    return this.writes.run(() => {
      let n = 0;
      for (const u of uidls) n += this.st.forget.run(mailbox, u).changes;
      return n;
    });
  }
}
