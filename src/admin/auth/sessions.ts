// Console sessions: a random id (the cookie) and a CSRF token per login. Promises: a session
// ends after IDLE_MS without a request or MAX_MS after login, whichever comes first; with a
// SessionStore it survives a restart of the gateway (the store keeps only the id's SHA-256).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionStore, UserRole } from '../../store/store.ts';

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
  /** Where sessions are kept across restarts; without one they live in memory only. */
  store?: SessionStore | null;
}

/** A request's lastSeen is written to the store at most this often per session (ms). */
const TOUCH_EVERY_MS = 60_000;

const hashId = (id: string) => createHash('sha256').update(id).digest('hex');

export class SessionManager {
  private readonly sessions = new Map<string, Session & { storedSeen: number }>();
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly now: () => number;
  private readonly store: SessionStore | null;

  constructor(o: SessionOptions = {}) {
    this.idleMs = o.idleMs ?? 30 * 60_000;
    this.maxMs = o.maxMs ?? 12 * 3_600_000;
    this.now = o.now ?? Date.now;
    this.store = o.store ?? null;
  }

  async create(user: string, role: UserRole): Promise<Session> {
    const at = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), user, role, csrfToken: randomBytes(24).toString('base64url'), createdAt: at, lastSeen: at, expiresAt: Math.min(at + this.idleMs, at + this.maxMs) };
    await this.store?.put({ ...s, idHash: hashId(s.id) });
    this.sessions.set(s.id, { ...s, storedSeen: at });
    this.sweep(at);
    return { ...s };
  }

  /**
   * The live session for a cookie value (its idle time restarts), or null. With a store, the
   * store is asked on every call, so a logout or a deleted user on another node (or before a
   * restart) ends the session here too; memory only remembers the newest request time between
   * the throttled writes of it.
   */
  async get(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 128) return null;
    let s = this.sessions.get(id);
    if (this.store) {
      const stored = await this.store.get(hashId(id));
      if (!stored) {
        this.sessions.delete(id);
        return null;
      }
      const { idHash: _h, ...rest } = stored;
      s = s ? { ...rest, id, lastSeen: Math.max(s.lastSeen, rest.lastSeen), expiresAt: Math.max(s.expiresAt, rest.expiresAt), storedSeen: s.storedSeen } : { ...rest, id, storedSeen: rest.lastSeen };
      this.sessions.set(id, s);
    }
    if (!s) return null;
    const at = this.now();
    if (at >= s.expiresAt) {
      await this.destroy(id);
      return null;
    }
    s.lastSeen = at;
    s.expiresAt = Math.min(at + this.idleMs, s.createdAt + this.maxMs);
    if (this.store && at - s.storedSeen >= TOUCH_EVERY_MS) {
      s.storedSeen = at;
      await this.store.touch(hashId(id), at, s.expiresAt);
    }
    const { storedSeen: _s, ...view } = s;
    return view;
  }

  async destroy(id: string): Promise<void> {
    this.sessions.delete(id);
    await this.store?.remove(hashId(id));
  }

  /** Ends every session of a user (deleted, or password changed). */
  async destroyUser(user: string): Promise<void> {
    for (const [id, s] of this.sessions) if (s.user === user) this.sessions.delete(id);
    await this.store?.removeUser(user);
  }

  static csrfMatches(s: Session, header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const a = Buffer.from(header), b = Buffer.from(s.csrfToken);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private sweep(at: number): void {
    for (const [id, s] of this.sessions) if (at >= s.expiresAt) this.sessions.delete(id);
    void this.store?.purgeExpired(at).catch(() => undefined);
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
