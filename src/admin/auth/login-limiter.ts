// Login rate limiting: failed logins are counted per client address and per user name in a
// sliding window. Promises: once a key has `max` failures in the window, logins for it are
// refused (without checking the password) until the oldest failure leaves the window.
export interface LoginLimits {
  perIp: number;
  perUser: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perIp: 20, perUser: 5, windowMs: 15 * 60_000 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until a login for this address and name may be tried again; 0 when it may now. */
  blockedFor(ip: string, user: string): number {
    return Math.max(this.wait(`ip:${ip}`, this.limits.perIp), this.wait(`user:${user.toLowerCase()}`, this.limits.perUser));
  }

  failed(ip: string, user: string): void {
    const at = this.now();
    for (const k of [`ip:${ip}`, `user:${user.toLowerCase()}`]) this.failures.set(k, [...this.recent(k, at), at]);
    if (this.failures.size > 10_000) for (const k of this.failures.keys()) if (!this.recent(k, at).length) this.failures.delete(k);
  }

  succeeded(user: string): void {
    this.failures.delete(`user:${user.toLowerCase()}`);
  }

  private recent(key: string, at: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > at - this.limits.windowMs);
  }

  private wait(key: string, max: number): number {
    const at = this.now();
    const r = this.recent(key, at);
    return r.length < max ? 0 : r[r.length - max] + this.limits.windowMs - at;
  }
}
