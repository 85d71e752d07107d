// Signed-in portal visits: after the right password, the visitor holds an opaque cookie; the server
// keeps in memory only (never on disk) the content keys of the messages opened in that session and,
// when the recipient's own portal password opened it, the password secret that opens their other
// messages, with a CSRF token for the reply form. Sessions end after `ttlMs` idle or on restart.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface PortalSession {
  /** The message the link opened. */
  messageId: string;
  /** Lower-cased address of the recipient who signed in. */
  recipient: string;
  /** Content keys of the messages opened in this session, by portal id. */
  keys: Map<string, Buffer>;
  /** The recipient's password secret (their portal password); null when a sender's password opened the message. */
  secret: Buffer | null;
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

  create(o: { messageId: string; recipient: string; key: Buffer; secret: Buffer | null }): string {
    this.sweep();
    const token = randomBytes(32).toString('base64url');
    const keys = new Map([[o.messageId, o.key]]);
    this.map.set(token, { messageId: o.messageId, recipient: o.recipient.toLowerCase(), keys, secret: o.secret, csrf: randomBytes(18).toString('base64url'), expires: this.now() + this.ttlMs });
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
