// Small loopback helpers: free ports, waiting for an SMTP greeting or an HTTP 200.
import net from 'node:net';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Connects, reads the greeting, sends QUIT. Resolves the greeting line or rejects. */
export function smtpGreeting(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('no greeting'));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        s.end('QUIT\r\n');
        s.destroySoon();
        resolve(buf.slice(0, nl).trim());
      }
    });
    s.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

/** GET http://127.0.0.1:port/path; resolves the status code (rejects on connection errors). */
export function httpStatus(port: number, path: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls `probe` until it returns true; throws after timeoutMs, or when `abort()` says why. */
export async function pollUntil(
  what: string,
  probe: () => Promise<boolean>,
  { timeoutMs = 30_000, intervalMs = 100, abort }: { timeoutMs?: number; intervalMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    const why = abort?.();
    if (why) throw new Error(`${what}: ${why}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${lastErr ? ` (${lastErr})` : ''}`);
    await sleep(intervalMs);
  }
}
