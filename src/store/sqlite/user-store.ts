// Local console users in SQLite (table `users`, migration 009). Promises: writes are durable
// before they resolve; a name is unique, so a second add of the same name changes nothing.
import type Database from 'better-sqlite3';
import type { StoredUser, UserStore } from '../store.ts';
import { toUser, type UserRow } from '../rows/user-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteUserStore implements UserStore {
  private readonly st;
  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
    private readonly now: () => number = Date.now,
  ) {
    this.st = {
      list: db.prepare('SELECT * FROM users ORDER BY created_at, name'),
      get: db.prepare('SELECT * FROM users WHERE name = ?'),
      add: db.prepare('INSERT OR IGNORE INTO users (name, role, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)'),
      passwd: db.prepare('UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM users WHERE name = ?'),
    };
  }

  async list(): Promise<StoredUser[]> {
    return (this.st.list.all() as UserRow[]).map(toUser);
  }

  async get(name: string): Promise<StoredUser | null> {
    const r = this.st.get.get(name) as UserRow | undefined;
    return r ? toUser(r) : null;
  }

  add(u: Omit<StoredUser, 'createdAt' | 'updatedAt'>): Promise<boolean> {
    const at = this.now();
    return this.writes.run(() => this.st.add.run(u.name, u.role, u.email, u.passwordHash, at, at).changes === 1, true);
  }

  setPassword(name: string, passwordHash: string): Promise<boolean> {
    return this.writes.run(() => this.st.passwd.run(passwordHash, this.now(), name).changes === 1, true);
  }

  remove(name: string): Promise<boolean> {
    return this.writes.run(() => this.st.remove.run(name).changes === 1, true);
  }
}
