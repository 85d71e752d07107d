// A counting semaphore: at most `limit` holders at once, the rest wait in arrival order.
// Used per destination so a busy next hop never gets more than delivery.concurrencyPerDestination
// sessions, and a mail's body stream is only opened once it may actually be sent.

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.limit) grant();
      else this.waiting.push(grant);
    });
  }

  get busy(): boolean {
    return this.active > 0 || this.waiting.length > 0;
  }
}
