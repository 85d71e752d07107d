// A clamd client for the INSTREAM command (clamd(8)): the mail streams to clamd in chunks, so a
// 50 MB mail never sits in memory, and the whole scan has one deadline. Anything but a clear
// "OK" or "FOUND" answer is a ClamdError: the caller defers the mail, it never passes unscanned.
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface ScanResult {
  infected: boolean;
  /** Signature name when infected. */
  signature?: string;
}

export class ClamdError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClamdError';
  }
}

/** "host:port" or a socket path. */
function endpoint(address: string): { path: string } | { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address);
  if (!address.startsWith('/') && m) return { host: m[1], port: Number(m[2]) };
  return { path: address };
}

const CHUNK = 64 * 1024;

/** Runs one clamd session: sends the command (and the stream), resolves with clamd's reply. */
function session(address: string, command: string, timeoutMs: number, body?: Readable, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    let reply = '';
    const sock: Socket = connect(endpoint(address));
    const finish = (err: Error | null, value?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      body?.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new ClamdError(`clamd at ${address} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => finish(new ClamdError('scan aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', (err) => finish(new ClamdError(`clamd at ${address}: ${err.message}`, { cause: err })));
    sock.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      const end = reply.indexOf('\0');
      if (end >= 0) finish(null, reply.slice(0, end));
    });
    sock.on('end', () => finish(reply ? null : new ClamdError(`clamd at ${address} closed without an answer`), reply.replace(/\0$/, '')));
    sock.on('connect', () => {
      sock.write(`z${command}\0`);
      if (!body) return;
      void (async () => {
        try {
          for await (const c of body as AsyncIterable<Buffer>) {
            for (let i = 0; i < c.length; i += CHUNK) {
              const part = c.subarray(i, i + CHUNK);
              const len = Buffer.alloc(4);
              len.writeUInt32BE(part.length);
              sock.write(len);
              if (!sock.write(part)) await new Promise<void>((r) => sock.once('drain', () => r()));
              if (done) return;
            }
          }
          sock.write(Buffer.alloc(4)); // zero-length chunk: end of stream
        } catch (err) {
          finish(new ClamdError(`reading the mail for clamd failed: ${(err as Error).message}`, { cause: err }));
        }
      })();
    });
  });
}

/** Scans a stream with INSTREAM. */
export async function clamdScan(address: string, body: Readable, timeoutMs: number, signal?: AbortSignal): Promise<ScanResult> {
  const reply = (await session(address, 'INSTREAM', timeoutMs, body, signal)).trim();
  // "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
  if (/:\s*OK$/.test(reply)) return { infected: false };
  const found = /:\s*(.+?)\s+FOUND$/.exec(reply);
  if (found) return { infected: true, signature: found[1] };
  throw new ClamdError(`clamd could not scan the mail: ${reply || 'empty answer'}`);
}

/** PING → PONG: is clamd there? */
export async function clamdPing(address: string, timeoutMs: number): Promise<boolean> {
  try {
    return (await session(address, 'PING', timeoutMs)).trim() === 'PONG';
  } catch {
    return false;
  }
}

/** clamd's version line (engine and signature database). */
export async function clamdVersion(address: string, timeoutMs: number): Promise<string> {
  return (await session(address, 'VERSION', timeoutMs)).trim();
}
