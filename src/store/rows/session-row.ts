// The `sessions` row shape both backends share (sqlite/ and postgres/ session-store.ts) and its
// mapping to a StoredSession; integers pass through Number() (a no-op on SQLite's numbers).
import type { StoredSession, UserRole } from '../store.ts';

export interface SessionRow {
  id_hash: string;
  user_name: string;
  role: string;
  csrf_token: string;
  created_at: number;
  last_seen: number;
  expires_at: number;
}

export const toSession = (r: SessionRow): StoredSession => ({
  idHash: r.id_hash,
  user: r.user_name,
  role: r.role as UserRole,
  csrfToken: r.csrf_token,
  createdAt: Number(r.created_at),
  lastSeen: Number(r.last_seen),
  expiresAt: Number(r.expires_at),
});
