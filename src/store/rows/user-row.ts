// The `users` row shape both backends share (sqlite/ and postgres/ user-store.ts) and its
// mapping to a StoredUser.
import type { StoredUser, UserRole } from '../store.ts';

export interface UserRow {
  name: string;
  role: string;
  email: string | null;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export const toUser = (r: UserRow): StoredUser => ({
  name: r.name,
  role: r.role as UserRole,
  email: r.email,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
