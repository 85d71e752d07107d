// Coalesced fsync of one file or directory: callers wait for a sync that started after they
// asked, so one fsync covers every write before it, however many callers wait on it.
import { open } from 'node:fs/promises';

export class FsyncCoalescer {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return (this.running = this.doSync().finally(() => (this.running = null)));
    this.next = this.running.then(
      () => this.start(),
      () => this.start(),
    );
    return this.next;
  }

  private start(): Promise<void> {
    this.next = null;
    return (this.running = this.doSync().finally(() => (this.running = null)));
  }

  private async doSync(): Promise<void> {
    const fh = await open(this.path, 'r');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
}
