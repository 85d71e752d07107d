// Console sessions on PostgreSQL (table `sessions`, migration 200; mirrors
// sqlite/session-store.ts), shared by every node so a session opened through one is valid on
// all. put, remove and removeUser resolve after COMMIT; touch commits without a WAL flush.
import type { SessionStore, StoredSession } from '../store.ts';
import { toSession, type SessionRow } from '../rows/session-row.ts';
import type { PgDatabase } from './database.ts';
import { writeAsyncCommit } from './async-commit.ts';

export class PgSessionStore implements SessionStore {
  constructor(private readonly db: PgDatabase) {}

  async put(s: StoredSession): Promise<void> {
    await this.db.query(
      `INSERT INTO sessions (id_hash, user_name, role, csrf_token, created_at, last_seen, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id_hash) DO UPDATE SET user_name = EXCLUDED.user_name, role = EXCLUDED.role, csrf_token = EXCLUDED.csrf_token,
         created_at = EXCLUDED.created_at, last_seen = EXCLUDED.last_seen, expires_at = EXCLUDED.expires_at`,
      [s.idHash, s.user, s.role, s.csrfToken, s.createdAt, s.lastSeen, s.expiresAt],
    );
  }

  async get(idHash: string): Promise<StoredSession | null> {
    const r = (await this.db.query<SessionRow>('SELECT * FROM sessions WHERE id_hash = $1', [idHash])).rows[0];
    return r ? toSession(r) : null;
  }

  async touch(idHash: string, lastSeen: number, expiresAt: number): Promise<void> {
    // Need not be durable (a lost touch only shortens a session): no WAL flush per request.
    await writeAsyncCommit(this.db, 'UPDATE sessions SET last_seen = $1, expires_at = $2 WHERE id_hash = $3', [lastSeen, expiresAt, idHash]);
  }

  async remove(idHash: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async removeUser(user: string): Promise<number> {
    return (await this.db.query('DELETE FROM sessions WHERE user_name = $1', [user])).rowCount ?? 0;
  }

  async purgeExpired(now: number): Promise<number> {
    return (await this.db.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
