// The recording sink: the next hop of both peers. Runs as its own process (forked by
// bench/lib/agents.ts) so it does not share an event loop with the driver or the proxy.
//
// Why smtp-server and not Postfix's smtp-sink: smtp-sink can only tell *when* a mail arrived by
// dumping it to a file (-d) and reading the file's mtime afterwards; that costs a file write per
// mail on the measured path and the mtime has the kernel's coarse clock (a jiffy, up to 4 ms),
// on the wall clock instead of the monotonic one. This sink stores nothing, takes the arrival
// time with process.hrtime (CLOCK_MONOTONIC, the same clock the proxy uses) when the final "."
// has been read, and keeps only (Message-Id, first recipient, time, size) per mail.
//
// Greeting delay: smtp-server holds every greeting back 100 ms (an early-talker check with no
// option to turn it off). Under these loads Postfix opens new connections to the next hop far
// more often than Gatehouse (its connection cache only lives while there is a backlog), so the
// stock delay would add 100 ms to a few percent of Postfix's mails and to almost none of
// Gatehouse's. The sink therefore greets at once (the same patch Gatehouse's own receiver
// applies for trusted clients, see src/services/smtp-receiver/smtp-server-patch.ts);
// BENCH_SINK_GREETING_DELAY=1 keeps smtp-server's stock 100 ms. New connections are counted
// either way and shown in the report.
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { serveRpc } from './children.ts';
import { nowMs, extractMessageId, rcptToken } from './token.ts';

interface Arrival {
  id: string | null;
  t: number;
  size: number;
  rcpt: string;
}

const stockGreeting = process.env.BENCH_SINK_GREETING_DELAY === '1';
if (!stockGreeting) {
  type Conn = {
    _server: { options: { maxClients?: number }; connections: Set<unknown> };
    _setListeners(cb: () => void): void;
    connectionReady(): void;
    send(code: number, data?: unknown, context?: unknown): void;
    name: string;
  };
  const proto = (SMTPConnection as unknown as { prototype: Conn & { init(): void } }).prototype;
  if (typeof proto._setListeners !== 'function' || typeof proto.connectionReady !== 'function' || typeof proto.init !== 'function') {
    throw new Error('smtp-server changed: SMTPConnection internals not found (bench/lib/sink-child.ts)');
  }
  // smtp-server's init() without the 100 ms timer.
  proto.init = function (this: Conn) {
    this._setListeners(() => {
      const o = this._server.options;
      if (o.maxClients && this._server.connections.size > o.maxClients) {
        return this.send(421, this.name + ' Too many connected clients, try again in a moment', false);
      }
      this.connectionReady();
    });
  };
}

let arrivals: Arrival[] = [];
let connections = 0;
let firstArrival = 0;
let lastArrival = 0;

const server = new SMTPServer({
  name: 'sink.bench.test',
  banner: 'bench sink',
  disableReverseLookup: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  hideSTARTTLS: true,
  authOptional: true,
  maxClients: 1000,
  socketTimeout: 120_000,
  logger: false,
  onConnect(_session, cb) {
    connections++;
    cb();
  },
  onData(stream: SMTPServerDataStream, session, cb) {
    let head = '';
    let id: string | null | undefined;
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (id === undefined) {
        head += chunk.toString('latin1');
        const found = extractMessageId(head);
        if (found !== undefined) id = found;
        else if (head.length > 65536) id = null;
      }
    });
    stream.on('end', () => {
      const t = nowMs();
      if (id === undefined) id = extractMessageId(head, true) ?? null;
      arrivals.push({ id, t, size, rcpt: rcptToken(session.envelope.rcptTo[0]?.address ?? '') });
      if (!firstArrival) firstArrival = t;
      lastArrival = t;
      cb();
    });
    stream.on('error', (err: Error) => cb(err));
  },
});
server.on('error', (err: Error) => process.stderr.write(`sink: ${err.message}\n`));

serveRpc({
  reset() {
    arrivals = [];
    connections = 0;
    firstArrival = lastArrival = 0;
    return true;
  },
  count() {
    return { count: arrivals.length, connections, lastArrival };
  },
  dump() {
    return {
      ids: arrivals.map((a) => a.id),
      times: arrivals.map((a) => a.t),
      sizes: arrivals.map((a) => a.size),
      rcpts: arrivals.map((a) => a.rcpt),
      connections,
      firstArrival,
      lastArrival,
    };
  },
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.send!({ ready: { port, pid: process.pid, greetingDelayMs: stockGreeting ? 100 : 0 } });
});
