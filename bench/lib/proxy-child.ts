// A loopback TCP proxy in front of the server under test that timestamps, per mail transaction,
// the end of DATA from the client (".") and the server's final reply to it ("250"), keyed by the
// message's Message-Id (and its first RCPT TO address). Runs as its own process (forked by
// bench/lib/agents.ts).
//
// It is kept cheap: bytes are forwarded first and inspected afterwards; command lines and
// replies are short and parsed as text; message content is only searched for the end-of-data
// marker CRLF.CRLF with Buffer.indexOf (C speed), and only the first bytes up to the end of the
// header block are turned into a string to find the Message-Id. The proxy is in front of both
// peers in the same way, so whatever it adds, it adds to both.
//
// Replies are matched to commands in order (what an SMTP client must do too): the greeting,
// one reply per command line, and one reply per end-of-data. Pipelining clients work as long as
// they wait for 354 before sending the message (RFC 2920 requires that). BDAT is not supported.
import net from 'node:net';
import { serveRpc } from './children.ts';
import { extractMessageId, nowMs, rcptToken } from './token.ts';

const [listenPortArg, targetHost, targetPortArg] = process.argv.slice(2);
const targetPort = Number(targetPortArg);

const EOD = Buffer.from('\r\n.\r\n');
const CRLF = Buffer.from('\r\n');

type Expect = { k: 'greet' | 'cmd' | 'data' } | { k: 'dot'; id: string | null; rcpt: string; tDot: number };

// Results since the last reset, as parallel arrays (cheap to collect and to send).
let ids: (string | null)[] = [];
let rcpts: string[] = [];
let tDots: number[] = [];
let tReplies: number[] = [];
let codes: number[] = [];
let firstConnect = 0;
let lastReply = 0;
let connections = 0;
let accepted = 0;
let rejected = 0;
let protocolErrors = 0;

class Conn {
  mode: 'cmd' | 'data' = 'cmd';
  cmdBuf = '';
  replyBuf = '';
  expect: Expect[] = [{ k: 'greet' }];
  // current transaction
  rcpt = '';
  // data mode
  tail: Buffer = CRLF;
  headParts: Buffer[] = [];
  headLen = 0;
  id: string | null | undefined = undefined;

  constructor(
    readonly client: net.Socket,
    readonly server: net.Socket,
  ) {}

  fromClient(chunk: Buffer, t: number): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.mode === 'cmd') {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (this.cmdBuf.length < 4096) this.cmdBuf += chunk.toString('latin1', pos);
          return;
        }
        const line = (this.cmdBuf + chunk.toString('latin1', pos, nl + 1)).trimEnd();
        this.cmdBuf = '';
        pos = nl + 1;
        this.command(line);
      } else {
        pos += this.data(chunk.subarray(pos), t);
      }
    }
  }

  command(line: string): void {
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === 'DATA' && line.length === 4) {
      this.expect.push({ k: 'data' });
      this.mode = 'data';
      // The CRLF ending "DATA" counts as the first CRLF of CRLF.CRLF (an empty message).
      this.tail = CRLF;
      this.headParts = [];
      this.headLen = 0;
      this.id = undefined;
      return;
    }
    if (verb === 'MAIL' || verb === 'RSET') this.rcpt = '';
    else if (verb === 'RCPT' && !this.rcpt) {
      const m = /<([^>]*)>/.exec(line);
      this.rcpt = rcptToken(m ? m[1] : line.slice(8));
    }
    this.expect.push({ k: 'cmd' });
  }

  /** Consumes message content; returns how many bytes of `rest` belong to it. */
  data(rest: Buffer, t: number): number {
    let end = -1;
    const probe = Buffer.concat([this.tail, rest.subarray(0, 4)]);
    const pi = probe.indexOf(EOD);
    if (pi >= 0) end = pi + EOD.length - this.tail.length;
    else {
      const ri = rest.indexOf(EOD);
      if (ri >= 0) end = ri + EOD.length;
    }
    const used = end >= 0 ? end : rest.length;
    if (this.id === undefined) {
      this.headParts.push(rest.subarray(0, used));
      this.headLen += used;
      const found = extractMessageId(Buffer.concat(this.headParts).toString('latin1'), end >= 0 || this.headLen > 65536);
      if (found !== undefined) {
        this.id = found;
        this.headParts = [];
      }
    }
    if (end < 0) {
      this.tail = Buffer.concat([this.tail, rest]).subarray(-4);
      return rest.length;
    }
    this.expect.push({ k: 'dot', id: this.id ?? null, rcpt: this.rcpt, tDot: t });
    this.mode = 'cmd';
    this.rcpt = '';
    return end;
  }

  fromServer(chunk: Buffer, t: number): void {
    this.replyBuf += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.replyBuf.indexOf('\n')) >= 0) {
      const line = this.replyBuf.slice(0, nl).trimEnd();
      this.replyBuf = this.replyBuf.slice(nl + 1);
      if (line.length > 3 && line[3] === '-') continue; // not the last line of a multi-line reply
      const code = Number(line.slice(0, 3));
      const e = this.expect.shift();
      if (!e) {
        protocolErrors++;
        continue;
      }
      if (e.k === 'data' && code !== 354) this.mode = 'cmd';
      if (e.k === 'dot') {
        ids.push(e.id);
        rcpts.push(e.rcpt);
        tDots.push(e.tDot);
        tReplies.push(t);
        codes.push(code);
        if (code >= 200 && code < 300) accepted++;
        else rejected++;
        lastReply = t;
      }
    }
  }
}

function pipe(from: net.Socket, to: net.Socket, inspect: (chunk: Buffer, t: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    const t = nowMs();
    if (!to.write(chunk)) from.pause();
    inspect(chunk, t);
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
  from.on('error', () => to.destroy());
  // A clean close lets pending bytes (e.g. "221 bye") through; smtp-source closes with RST
  // (SO_LINGER 0), which arrives as an error and tears the other side down at once.
  from.on('close', (hadError) => (hadError ? to.destroy() : to.end()));
}

const proxy = net.createServer({ noDelay: true }, (client) => {
  const t = nowMs();
  if (!firstConnect) firstConnect = t;
  connections++;
  const server = net.connect({ host: targetHost, port: targetPort, noDelay: true });
  const conn = new Conn(client, server);
  pipe(client, server, (c, tt) => conn.fromClient(c, tt));
  pipe(server, client, (c, tt) => conn.fromServer(c, tt));
});
proxy.on('error', (err) => {
  process.send!({ fatal: err.message });
  process.exit(1);
});

serveRpc({
  reset() {
    ids = [];
    rcpts = [];
    tDots = [];
    tReplies = [];
    codes = [];
    firstConnect = lastReply = 0;
    connections = accepted = rejected = protocolErrors = 0;
    return true;
  },
  count() {
    return { accepted, rejected, connections };
  },
  dump() {
    return { ids, rcpts, tDots, tReplies, codes, firstConnect, lastReply, connections, accepted, rejected, protocolErrors };
  },
});

proxy.listen({ host: '127.0.0.1', port: Number(listenPortArg) || 0 }, () => {
  const addr = proxy.address();
  process.send!({ ready: { port: typeof addr === 'object' && addr ? addr.port : 0, pid: process.pid } });
});
