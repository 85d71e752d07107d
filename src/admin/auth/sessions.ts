// Console sessions, in memory: a random id (the cookie) and a CSRF token per login. Promises: a
// session ends after IDLE_MS without a request or MAX_MS after login, whichever comes first; a
// restart of the gateway ends every session (users log in again).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserRole } from '../../store/store.ts';

export const SESSION_COOKIE = 'gatehouse_session';

export interface Session {
  id: string;
  user: string;
  role: UserRole;
  csrfToken: string;
  createdAt: number;
  lastSeen: number;
  expiresAt: number;
}

export interface SessionOptions {
  idleMs?: number;
  maxMs?: number;
  now?: () => number;
}

export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly now: () => number;

  constructor(o: SessionOptions = {}) {
    this.idleMs = o.idleMs ?? 30 * 60_000;
    this.maxMs = o.maxMs ?? 12 * 3_600_000;
    this.now = o.now ?? Date.now;
  }

  create(user: string, role: UserRole): Session {
    const at = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrfToken: randomBytes(24).toString('base64url'), createdAt: at, lastSeen: at, expiresAt: Math.min(at + this.idleMs, at + this.maxMs) };
    this.sessions.set(s.id, s);
    this.sweep(at);
    return s;
  }

  /** The live session for a cookie value (its idle time restarts), or null. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    const at = this.now();
    if (at >= s.expiresAt) {
      this.sessions.delete(id);
      return null;
    }
    s.lastSeen = at;
    s.expiresAt = Math.min(at + this.idleMs, s.createdAt + this.maxMs);
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of a user (deleted, or password changed). */
  destroyUser(user: string): void {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
  }

  static csrfMatches(s: Session, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const a = Buffer.from(header), b = Buffer.from(s.csrfToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sweep(at: number): void {
    for (const [id, s] of this.sessions) if (at >= s.expiresAt) this.sessions.delete(id);
  }
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}
