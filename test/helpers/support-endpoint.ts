// A remote-support endpoint for tests: a `ws` WebSocket server over TLS on 127.0.0.1 (a
// certificate made by openssl here) that takes the gateway's outgoing tunnel and plays the
// support engineer on it: read the hello, send the session code, send API requests.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface TunnelResponse {
  id: unknown;
  status: number;
  contentType: string | null;
  body: string;
  /** The body parsed when it is JSON. */
  json: any;
}

/** One tunnel the gateway opened, seen from the support side. */
export interface SupportPeer {
  /** The gateway's hello: session id, gateway name, rights, expiresAt. */
  hello: Record<string, unknown>;
  /** Sends the session code; resolves with auth-ok or auth-failed. */
  auth(code: string | undefined): Promise<Record<string, unknown>>;
  request(method: string, path: string, body?: unknown): Promise<TunnelResponse>;
  /** Every message the gateway sent, in order. */
  messages: Record<string, unknown>[];
  readonly open: boolean;
  /** Resolves with the close code once the tunnel is gone. */
  closed: Promise<number>;
}

export interface SupportEndpoint {
  url: string;
  /** The endpoint's own certificate (PEM file) and its SHA-256 fingerprint. */
  certFile: string;
  fingerprint: string;
  /** How many tunnels the gateway opened so far. */
  readonly connections: number;
  /** Waits for the next tunnel (after those already taken) and its hello. */
  nextTunnel(timeoutMs?: number): Promise<SupportPeer>;
  close(): Promise<void>;
}

export async function startSupportEndpoint(): Promise<SupportEndpoint> {
  const dir = await tempDir('gatehouse-support-');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', '/CN=support.test', '-addext', 'subjectAltName=DNS:support.test,IP:127.0.0.1'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const certFile = join(dir, 'cert.pem');
  const server: Server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(certFile) });
  const wss = new WebSocketServer({ server });
  const peers: SupportPeer[] = [];
  const sockets = new Set<WebSocket>();
  let taken = 0;

  wss.on('connection', (ws) => {
    sockets.add(ws);
    const messages: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => boolean)[] = [];
    let open = true;
    let nextId = 1;
    const closed = new Promise<number>((res) => ws.once('close', (code) => ((open = false), sockets.delete(ws), res(code))));
    const next = (match: (m: Record<string, unknown>) => boolean, what: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const found = messages.find((m) => match(m) && !m.__taken);
        if (found) return resolve(((found.__taken = true), found));
        const t = setTimeout(() => reject(new Error(`support endpoint: no ${what} from the gateway`)), 10_000);
        waiters.push((m) => {
          if (!match(m)) return false;
          clearTimeout(t);
          m.__taken = true;
          resolve(m);
          return true;
        });
        void closed.then(() => reject(new Error(`support endpoint: the tunnel closed while waiting for ${what}`)));
      });
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(m);
      const i = waiters.findIndex((w) => w(m));
      if (i >= 0) waiters.splice(i, 1);
    });
    void next((m) => m.type === 'hello', 'hello').then(
      (hello) =>
        peers.push({
          hello,
          messages,
          get open() {
            return open;
          },
          closed,
          auth(code) {
            ws.send(JSON.stringify(code === undefined ? { type: 'auth' } : { type: 'auth', code }));
            return next((m) => m.type === 'auth-ok' || m.type === 'auth-failed', 'answer to auth');
          },
          async request(method, path, body) {
            const id = nextId++;
            ws.send(JSON.stringify({ type: 'request', id, method, path, body }));
            const m = await next((x) => x.type === 'response' && x.id === id, `response ${id}`);
            let json: unknown;
            try {
              json = JSON.parse(String(m.body));
            } catch {
              json = undefined;
            }
            return { id, status: Number(m.status), contentType: (m.contentType as string) ?? null, body: String(m.body), json };
          },
        }),
      () => undefined,
    );
  });

  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `wss://127.0.0.1:${port}/gatehouse`,
    certFile,
    fingerprint: new X509Certificate(readFileSync(certFile)).fingerprint256,
    get connections() {
      return peers.length;
    },
    async nextTunnel(timeoutMs = 10_000) {
      const peer = await waitFor(() => peers[taken], { timeoutMs, what: 'a tunnel from the gateway' });
      taken++;
      return peer;
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise<void>((res) => server.close(() => res()));
      await removeTempDir(dir);
    },
  };
}
