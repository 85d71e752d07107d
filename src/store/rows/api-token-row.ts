// The `api_tokens` row shape both backends share (sqlite/ and postgres/ api-token-store.ts) and
// its mapping to a StoredApiToken; integers pass through Number() (a no-op on SQLite's numbers).
import type { StoredApiToken, UserRole } from '../store.ts';

export interface ApiTokenRow {
  name: string;
  role: string;
  token_hash: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
}

export const toApiToken = (r: ApiTokenRow): StoredApiToken => ({
  name: r.name,
  role: r.role as UserRole,
  tokenHash: r.token_hash,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
});
