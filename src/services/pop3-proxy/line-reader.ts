// Reads a POP3 server's byte stream as lines, each wait bounded by a deadline. Lines end in LF
// (a CR before it is dropped); complete lines come in batches so a large mail costs no await
// per line. The socket is paused while too much is buffered, so a slow consumer (the body
// store) holds the server back instead of filling memory.
import type { Duplex } from 'node:stream';
import { Pop3Error } from './pop3-error.ts';

/** Longest line accepted (RFC 5322 allows 998 octets; real mail is sometimes longer). */
const MAX_LINE = 1024 * 1024;
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private paused = false;

  private readonly onData = (d: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (this.buf.length > HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.notify();
  };
  private readonly onEnd = () => this.fail(new Pop3Error('POP3_PROTOCOL', 'the server closed the connection'));
  private readonly onError = (err: Error) => this.fail(err);

  constructor(
    private readonly socket: Duplex,
    private readonly signal?: AbortSignal,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  /** Stops reading from the socket (before a TLS upgrade) and returns what was read but not consumed. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    if (this.paused) this.socket.resume();
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  /** One line, without its line ending. */
  async line(timeoutMs: number, what: string): Promise<Buffer> {
    for (;;) {
      const l = this.take();
      if (l) return l;
      await this.wait(timeoutMs, what);
    }
  }

  /** Every complete line buffered now (at least one), without line endings. */
  async lines(timeoutMs: number, what: string): Promise<Buffer[]> {
    for (;;) {
      const out: Buffer[] = [];
      for (let l = this.take(); l; l = this.take()) out.push(l);
      if (out.length) return out;
      await this.wait(timeoutMs, what);
    }
  }

  private take(): Buffer | null {
    const i = this.buf.indexOf(10);
    if (i < 0) {
      if (this.buf.length > MAX_LINE) this.failure ??= new Pop3Error('POP3_PROTOCOL', `the server sent a line longer than ${MAX_LINE} bytes`);
      return null;
    }
    const end = i > 0 && this.buf[i - 1] === 13 ? i - 1 : i;
    const line = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(i + 1);
    if (this.paused && this.buf.length < LOW_WATER) {
      this.paused = false;
      this.socket.resume();
    }
    return line;
  }

  private wait(timeoutMs: number, what: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.signal?.aborted) return Promise.reject(new Pop3Error('POP3_ABORTED', 'the fetch was stopped'));
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', onAbort);
        this.wake = null;
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => done(new Pop3Error('POP3_ABORTED', 'the fetch was stopped'));
      const timer = setTimeout(() => done(new Pop3Error('POP3_TIMEOUT', `no answer to ${what} within ${Math.round(timeoutMs / 1000)}s`)), timeoutMs);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => done(this.failure ?? undefined);
    });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}
