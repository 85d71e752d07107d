// The outgoing support tunnel: a WebSocket over TLS to the configured endpoint, opened by the
// gateway (no port is opened here), reconnected with backoff while the session lasts, and cut
// at once by close(). The wire protocol is JSON text frames:
//   gateway → remote  {type:'hello', session, gateway, rights, expiresAt}
//   remote → gateway  {type:'auth', code}          → {type:'auth-ok', …} | {type:'auth-failed', message}
//   remote → gateway  {type:'request', id, method, path, body?}  → {type:'response', id, status, contentType, body}
//   gateway → remote  {type:'bye', reason} when the session ends
// Each connection must authenticate with the session code before any request is relayed;
// requests are handled one at a time, in order.
import WebSocket from 'ws';
import type { Logger } from '../log-manager/logger.ts';
import type { TlsTrust } from '../pop3-proxy/tls-trust.ts';

export interface TunnelRequest {
  id: unknown;
  method?: unknown;
  path?: unknown;
  body?: unknown;
}

export interface TunnelHandler {
  hello(): Record<string, unknown>;
  /** Checks a code the remote side sent; false = wrong (the handler counts and may end the session). */
  authenticate(code: unknown): Promise<boolean>;
  /** Answers one request; `authenticated` is this connection's state. */
  request(r: TunnelRequest, authenticated: boolean): Promise<{ status: number; contentType: string | null; body: string }>;
  /** The tunnel's state changed (connected, authenticated, an error). */
  changed(s: { connected: boolean; authenticated: boolean; error?: string }): void;
}

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
const HANDSHAKE_MS = 15_000;
const PING_MS = 20_000;
const MAX_MESSAGE = 256 * 1024;

export class SupportTunnel {
  private ws: WebSocket | null = null;
  private closed = false;
  private failures = 0;
  private retry: NodeJS.Timeout | null = null;
  private ping: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly trust: TlsTrust,
    private readonly handler: TunnelHandler,
    private readonly log: Logger,
  ) {}

  open(): void {
    this.connect();
  }

  /** Cuts the tunnel now: a bye is attempted, the socket is destroyed regardless. */
  close(reason: string): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.ping) clearInterval(this.ping);
    this.retry = this.ping = null;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN) {
      try {
        ws.send(JSON.stringify({ type: 'bye', reason }));
      } catch {
        /* the socket goes anyway */
      }
    }
    ws.terminate();
  }

  private connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(this.url, { ...this.trust.options, handshakeTimeout: HANDSHAKE_MS, maxPayload: MAX_MESSAGE, perMessageDeflate: false });
    this.ws = ws;
    let authenticated = false;
    let alive = true;
    let errored = false;
    let chain = Promise.resolve();
    const send = (m: Record<string, unknown>) => {
      if (this.ws === ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    };

    ws.on('upgrade', (res) => {
      try {
        const sock = res.socket as import('node:tls').TLSSocket;
        this.trust.verify(sock.getPeerCertificate());
      } catch (err) {
        // The upgrade request carries nothing secret; the hello is only sent on 'open'.
        errored = true;
        this.log.warn(`remote support: ${(err as Error).message}`);
        this.handler.changed({ connected: false, authenticated: false, error: (err as Error).message });
        ws.terminate();
      }
    });
    ws.on('open', () => {
      this.failures = 0;
      this.log.info(`remote support: tunnel open to ${this.url}`);
      this.handler.changed({ connected: true, authenticated: false });
      send({ type: 'hello', ...this.handler.hello() });
      this.ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, PING_MS);
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      let msg: Record<string, unknown>;
      try {
        if (isBinary) throw new Error('binary');
        msg = JSON.parse(String(data)) as Record<string, unknown>;
        if (typeof msg !== 'object' || msg === null) throw new Error('not an object');
      } catch {
        return send({ type: 'error', message: 'messages are JSON objects in text frames' });
      }
      // One at a time, in order: a request sent after an auth sees its result.
      chain = chain.then(async () => {
        if (this.ws !== ws) return;
        if (msg.type === 'auth') {
          authenticated = await this.handler.authenticate(msg.code);
          this.handler.changed({ connected: true, authenticated });
          send(authenticated ? { type: 'auth-ok', ...this.handler.hello() } : { type: 'auth-failed', message: 'wrong session code' });
        } else if (msg.type === 'request') {
          const res = await this.handler.request(msg as unknown as TunnelRequest, authenticated);
          send({ type: 'response', id: msg.id ?? null, ...res });
        } else {
          send({ type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
        }
      }).catch((err: Error) => this.log.error(`remote support: ${err.message}`));
    });
    ws.on('error', (err) => {
      if (errored) return; // the first error of a connection says why
      errored = true;
      this.log.warn(`remote support: tunnel to ${this.url}: ${err.message}`);
      this.handler.changed({ connected: false, authenticated: false, error: err.message });
    });
    ws.on('close', (code) => {
      if (this.ping) clearInterval(this.ping);
      this.ping = null;
      if (this.ws !== ws) return; // closed by us
      this.ws = null;
      this.handler.changed({ connected: false, authenticated: false, error: code === 1000 || errored ? undefined : `tunnel closed (${code})` });
      const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)];
      this.log.info(`remote support: tunnel closed (${code}); reconnecting in ${delay / 1000}s`);
      this.retry = setTimeout(() => {
        this.retry = null;
        this.connect();
      }, delay);
    });
  }
}
