// How long a deferred mail waits before its next delivery attempt: retryInitial, doubling per
// attempt up to retryMax, with ±10% jitter so mails deferred together do not return together.

export interface BackoffOptions {
  retryInitial: number;
  retryMax: number;
}

/** Delay in milliseconds before attempt number `attempt` (1 = the first retry). */
export function backoff(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** 60 is already far beyond any retryMax; the cap keeps the exponent finite.
  const base = Math.min(opts.retryMax, opts.retryInitial * 2 ** Math.min(n - 1, 60));
  const jitter = 1 + (random() * 2 - 1) * 0.1;
  return Math.max(0, Math.round(base * jitter));
}
