// A small POP3 client (RFC 1939, CAPA RFC 2449, STLS RFC 2595) over node:net / node:tls.
// Written here rather than taken from npm: the maintained package (node-pop3) has no STLS,
// only a socket idle timeout instead of a deadline per command, and parses replies per TCP
// chunk; the protocol we need is small. Promises: every command has a deadline; nothing but
// USER/PASS/CAPA is sent before TLS when TLS is asked for (and never a password in plain text
// unless the mailbox says insecure); multi-line answers are dot-unstuffed; bytes the server
// sends ahead of the TLS handshake after STLS are refused (command injection).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { TlsTrust } from './tls-trust.ts';
import { LineReader } from './line-reader.ts';
import { Pop3Error } from './pop3-error.ts';

export interface Pop3ConnectOptions {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  trust: TlsTrust;
  /** Deadline of the connection, the handshake and each command. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const DOT = 0x2e;

export class Pop3Client {
  private constructor(
    private socket: Socket | TLSSocket,
    private reader: LineReader,
    private readonly o: Pop3ConnectOptions,
    /** Capabilities the server announced (upper case, first word), after TLS when there is TLS. */
    public capabilities: Set<string>,
    public secure: boolean,
  ) {}

  /** Connects, reads the greeting, and sets up TLS as the mailbox asks. */
  static async connect(o: Pop3ConnectOptions): Promise<Pop3Client> {
    let socket: Socket | TLSSocket = await openSocket(o);
    let reader = new LineReader(socket, o.signal);
    const client = new Pop3Client(socket, reader, o, new Set(), o.tls === 'implicit');
    try {
      await client.status('greeting');
      client.capabilities = await client.capa();
      if (o.tls === 'starttls') {
        if (!client.capabilities.has('STLS')) throw new Pop3Error('POP3_NO_STLS', 'tls: starttls, but the server does not offer STLS');
        await client.command('STLS');
        const early = reader.detach();
        if (early.length) throw new Pop3Error('POP3_PROTOCOL', 'the server sent data before the TLS handshake (possible command injection)');
        socket = await upgrade(socket as Socket, o);
        reader = new LineReader(socket, o.signal);
        client.socket = socket;
        client.reader = reader;
        client.secure = true;
        client.capabilities = await client.capa(); // RFC 2595: forget what was said before TLS
      }
      return client;
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  async login(user: string, password: string): Promise<void> {
    if (/[\r\n]/.test(user) || /[\r\n]/.test(password)) throw new Pop3Error('POP3_AUTH', 'user or password contains a line break');
    try {
      await this.command(`USER ${user}`, 'USER');
      await this.command(`PASS ${password}`, 'PASS');
    } catch (err) {
      if (err instanceof Pop3Error && err.code === 'POP3_ERR') throw new Pop3Error('POP3_AUTH', `login refused: ${err.message}`);
      throw err;
    }
  }

  /** Message number → UIDL. */
  async uidl(): Promise<Map<number, string>> {
    let lines: string[];
    try {
      lines = await this.multiline('UIDL');
    } catch (err) {
      if (err instanceof Pop3Error && err.code === 'POP3_ERR') throw new Pop3Error('POP3_NO_UIDL', `the server cannot list UIDLs (${err.message}); fetching exactly once needs them`);
      throw err;
    }
    const out = new Map<number, string>();
    for (const l of lines) {
      const m = /^(\d+)\s+(\S{1,70})\s*$/.exec(l);
      if (!m) throw new Pop3Error('POP3_PROTOCOL', `bad UIDL line: ${l.slice(0, 80)}`);
      out.set(Number(m[1]), m[2]);
    }
    return out;
  }

  /** Message number → size in octets. */
  async list(): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    for (const l of await this.multiline('LIST')) {
      const m = /^(\d+)\s+(\d+)/.exec(l);
      if (!m) throw new Pop3Error('POP3_PROTOCOL', `bad LIST line: ${l.slice(0, 80)}`);
      out.set(Number(m[1]), Number(m[2]));
    }
    return out;
  }

  /**
   * RETR: the message's lines in batches, dot-unstuffed, without line endings. Each wait for
   * more data has the command deadline, so a big mail may take longer as long as it moves.
   */
  async *retr(n: number): AsyncGenerator<Buffer[]> {
    await this.command(`RETR ${n}`, 'RETR');
    for (;;) {
      const batch = await this.reader.lines(this.o.timeoutMs, `RETR ${n}`);
      const out: Buffer[] = [];
      for (const l of batch) {
        if (l.length === 1 && l[0] === DOT) {
          if (out.length) yield out;
          return;
        }
        out.push(l.length && l[0] === DOT ? l.subarray(1) : l);
      }
      yield out;
    }
  }

  async dele(n: number): Promise<void> {
    await this.command(`DELE ${n}`, 'DELE');
  }

  /** QUIT: the server commits the deletions (UPDATE state) and closes. */
  async quit(): Promise<void> {
    try {
      await this.command('QUIT');
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async capa(): Promise<Set<string>> {
    try {
      return new Set((await this.multiline('CAPA')).map((l) => l.split(/\s+/)[0].toUpperCase()));
    } catch (err) {
      if (err instanceof Pop3Error && err.code === 'POP3_ERR') return new Set(); // RFC 1939 server without CAPA
      throw err;
    }
  }

  /** Sends a command and reads its status line; -ERR becomes a Pop3Error. `shown` hides secrets. */
  private async command(cmd: string, shown = cmd): Promise<string> {
    this.socket.write(`${cmd}\r\n`);
    return this.status(shown);
  }

  private async status(what: string): Promise<string> {
    const line = (await this.reader.line(this.o.timeoutMs, what)).toString('latin1');
    if (line.startsWith('+OK')) return line.slice(3).trim();
    if (line.startsWith('-ERR')) throw new Pop3Error('POP3_ERR', `${what}: ${line.slice(4).trim() || '-ERR'}`);
    throw new Pop3Error('POP3_PROTOCOL', `unexpected answer to ${what}: ${line.slice(0, 80)}`);
  }

  private async multiline(cmd: string): Promise<string[]> {
    await this.command(cmd);
    const out: string[] = [];
    for (;;) {
      for (const l of await this.reader.lines(this.o.timeoutMs, cmd)) {
        if (l.length === 1 && l[0] === DOT) return out;
        out.push((l.length && l[0] === DOT ? l.subarray(1) : l).toString('latin1'));
      }
    }
  }
}

/**
 * Runs `start` with the command deadline and the abort signal; on either, `cleanup` runs (the
 * socket is destroyed) and the promise rejects.
 */
function withDeadline<T>(o: Pop3ConnectOptions, what: string, start: (settle: (err: Error | null, v?: T) => void) => void, cleanup: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const settle = (err: Error | null, v?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        cleanup();
        reject(err);
      } else resolve(v as T);
    };
    const onAbort = () => settle(new Pop3Error('POP3_ABORTED', 'the fetch was stopped'));
    const timer = setTimeout(() => settle(new Pop3Error('POP3_TIMEOUT', `${what} took longer than ${Math.round(o.timeoutMs / 1000)}s`)), o.timeoutMs);
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    start(settle);
  });
}

const ignore = () => undefined;

/** TCP (and for implicit TLS the handshake) within the deadline. */
function openSocket(o: Pop3ConnectOptions): Promise<Socket | TLSSocket> {
  const sock = netConnect({ host: o.host, port: o.port });
  // Errors are reported through the readers and the promises below; a late one after a
  // deadline must not become an uncaught exception.
  sock.on('error', ignore);
  sock.setNoDelay(true);
  return withDeadline<Socket | TLSSocket>(
    o,
    `connecting to ${o.host}:${o.port}`,
    (settle) => {
      sock.once('error', (err) => settle(new Pop3Error('POP3_CONNECT', `cannot connect to ${o.host}:${o.port}: ${err.message}`, { cause: err })));
      sock.once('connect', () => {
        if (o.tls !== 'implicit') return settle(null, sock);
        handshake(sock, o).then((t) => settle(null, t), (err: Error) => settle(err));
      });
    },
    () => sock.destroy(),
  );
}

function upgrade(sock: Socket, o: Pop3ConnectOptions): Promise<TLSSocket> {
  return withDeadline<TLSSocket>(
    o,
    'the TLS handshake',
    (settle) => handshake(sock, o).then((t) => settle(null, t), (err: Error) => settle(err)),
    () => sock.destroy(),
  );
}

function handshake(sock: Socket, o: Pop3ConnectOptions): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    // `host` is what the certificate is checked against (with `socket` alone Node assumes localhost).
    const t = tlsConnect({ socket: sock, host: o.host, ...o.trust.options });
    t.on('error', ignore);
    const fail = (err: Error) => {
      t.destroy();
      sock.destroy();
      reject(err instanceof Pop3Error ? err : new Pop3Error('POP3_TLS', `TLS with ${o.host}:${o.port} failed: ${err.message}`, { cause: err }));
    };
    t.once('error', fail);
    t.once('secureConnect', () => {
      t.off('error', fail);
      try {
        o.trust.verify(t.getPeerCertificate());
      } catch (err) {
        return fail(new Pop3Error('POP3_TLS', (err as Error).message, { cause: err }));
      }
      resolve(t);
    });
  });
}
