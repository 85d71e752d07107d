// Coalesced fsync of one file or directory: callers wait for a sync that started after they
// asked, so one fsync covers every write before it, however many callers wait on it.
import { open, type FileHandle } from 'node:fs/promises';

export class FsyncCoalescer {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private handle: FileHandle | null = null;
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

  /** The file stays open between syncs (an open per sync showed up in profiles). */
  private async doSync(): Promise<void> {
    this.handle ??= await open(this.path, 'r');
    try {
      await this.handle.datasync();
    } catch (err) {
      const h = this.handle;
      this.handle = null;
      await h?.close().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}
