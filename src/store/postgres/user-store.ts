// Local console users in PostgreSQL (table `users`), shared by the cluster. Promises: writes
// are durable before they resolve; a name is unique, so a second add of the same name changes nothing.
import type { StoredUser, UserStore } from '../store.ts';
import { toUser, type UserRow } from '../rows/user-row.ts';
import type { PgDatabase } from './database.ts';

export class PgUserStore implements UserStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<StoredUser[]> {
    return (await this.db.query<UserRow>('SELECT * FROM users ORDER BY created_at, name')).rows.map(toUser);
  }

  async get(name: string): Promise<StoredUser | null> {
    const r = (await this.db.query<UserRow>('SELECT * FROM users WHERE name = $1', [name])).rows[0];
    return r ? toUser(r) : null;
  }

  async add(u: Omit<StoredUser, 'createdAt' | 'updatedAt'>): Promise<boolean> {
    const at = this.now();
    const r = await this.db.query(
      'INSERT INTO users (name, role, email, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING',
      [u.name, u.role, u.email, u.passwordHash, at],
    );
    return r.rowCount === 1;
  }

  async setPassword(name: string, passwordHash: string): Promise<boolean> {
    return (await this.db.query('UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3', [passwordHash, this.now(), name])).rowCount === 1;
  }

  async remove(name: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM users WHERE name = $1', [name])).rowCount === 1;
  }
}
