// Console sessions in SQLite (table `sessions`, migration 010). Promises: put, remove and
// removeUser are durable before they resolve; touch rides the next group commit without an
// fsync of its own (losing one after a crash only makes a session end sooner).
import type Database from 'better-sqlite3';
import type { SessionStore, StoredSession } from '../store.ts';
import { toSession, type SessionRow } from '../rows/session-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteSessionStore implements SessionStore {
  private readonly st;
  constructor(
    db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      put: db.prepare('INSERT OR REPLACE INTO sessions (id_hash, user_name, role, csrf_token, created_at, last_seen, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT * FROM sessions WHERE id_hash = ?'),
      touch: db.prepare('UPDATE sessions SET last_seen = ?, expires_at = ? WHERE id_hash = ?'),
      remove: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      removeUser: db.prepare('DELETE FROM sessions WHERE user_name = ?'),
      purge: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  put(s: StoredSession): Promise<void> {
    return this.writes.run(() => void this.st.put.run(s.idHash, s.user, s.role, s.csrfToken, s.createdAt, s.lastSeen, s.expiresAt), true);
  }

  async get(idHash: string): Promise<StoredSession | null> {
    const r = this.st.get.get(idHash) as SessionRow | undefined;
    return r ? toSession(r) : null;
  }

  touch(idHash: string, lastSeen: number, expiresAt: number): Promise<void> {
    return this.writes.run(() => void this.st.touch.run(lastSeen, expiresAt, idHash), false);
  }

  remove(idHash: string): Promise<void> {
    return this.writes.run(() => void this.st.remove.run(idHash), true);
  }

  removeUser(user: string): Promise<number> {
    return this.writes.run(() => this.st.removeUser.run(user).changes, true);
  }

  purgeExpired(now: number): Promise<number> {
    return this.writes.run(() => this.st.purge.run(now).changes, false);
  }
}
