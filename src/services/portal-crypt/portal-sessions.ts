// Signed-in portal visits: after the right password, the visitor holds an opaque cookie for one
// message; the server keeps the message's content key in memory for that session only (never on
// disk), with a CSRF token for the reply form. Sessions end after `ttlMs` idle or on restart.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface PortalSession {
  messageId: string;
  key: Buffer;
  csrf: string;
  expires: number;
}

const MAX_SESSIONS = 10_000;

export class PortalSessions {
  private readonly map = new Map<string, PortalSession>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(messageId: string, key: Buffer): string {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    this.map.set(token, { messageId, key, csrf: randomBytes(18).toString('base64url'), expires: this.now() + this.ttlMs });
    return token;
  }

  /** The live session behind a cookie value (its idle time starts again), or null. */
  get(token: string | undefined): PortalSession | null {
    if (!token) return null;
    const s = this.map.get(token);
    if (!s) return null;
    if (s.expires < this.now()) {
      this.map.delete(token);
      return null;
    }
    s.expires = this.now() + this.ttlMs;
    return s;
  }

  static csrfMatches(s: PortalSession, given: string | undefined | null): boolean {
    const a = Buffer.from(s.csrf);
    const b = Buffer.from(given ?? '');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  clear(): void {
    this.map.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, s] of this.map) if (s.expires < now) this.map.delete(t);
    while (this.map.size >= MAX_SESSIONS) this.map.delete(this.map.keys().next().value!);
  }
}
