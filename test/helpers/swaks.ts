// Runs the real `swaks` SMTP client against a test server and parses its transcript into replies.
// swaksArgs() builds the common options; swaks() accepts either raw arguments or those options.
import { spawn } from 'node:child_process';

export interface SwaksOptions {
  /** "host:port" of the SMTP server. */
  server: string;
  /** Envelope sender; "" sends the null sender MAIL FROM:<>. Default: swaks' own (user@hostname). */
  from?: string;
  /** Envelope recipient(s). */
  to: string | string[];
  /** EHLO argument (default: swaks' guess of the local hostname). */
  helo?: string;
  /** Subject header (replaces swaks' "test <date>"). */
  subject?: string;
  /** Headers to set; an existing header of the same name in swaks' template is replaced. */
  headers?: Record<string, string> | string[];
  /** Message body (sent through stdin, so no "@file"/escaping surprises). */
  body?: string;
  /**
   * The complete message (headers and body) sent verbatim as DATA through stdin; line ends are made CRLF and
   * leading dots are stuffed here (swaks' own data fix-ups are turned off). Replaces subject/headers/body.
   */
  data?: string | Buffer;
  /** Stop cleanly (QUIT) after this point: CONNECT, EHLO, TLS, AUTH, MAIL, RCPT. */
  quitAfter?: string;
  /** Drop the connection after this point's reply (also DATA, DOT). */
  dropAfter?: string;
  /** Drop the connection right after sending this point (also DATA, DOT). */
  dropAfterSend?: string;
  /** STARTTLS: true = required, "optional" = if offered. */
  tls?: boolean | 'optional';
  /** Implicit TLS on connect. */
  tlsOnConnect?: boolean;
  /** SMTP AUTH (type e.g. "PLAIN", "LOGIN"; default swaks' choice). */
  auth?: { user: string; password: string; type?: string };
  /** Use PIPELINING if offered. */
  pipeline?: boolean;
  /** Protocol: SMTP (HELO), ESMTP (default), LMTP. */
  protocol?: string;
  /** swaks' SMTP timeout in seconds (default 15). */
  timeoutSec?: number;
  /** Summarise DATA instead of printing every line (-n). */
  suppressData?: boolean;
  /** Appended to the generated arguments. */
  extraArgs?: string[];
}

/** One server reply in the transcript. */
export interface SwaksReply {
  /** The client line it answers ("" for the banner; "." for the end of DATA). */
  command: string;
  code: number;
  /** Final line of the reply, e.g. "250 2.0.0 Ok: queued as 123". */
  text: string;
  /** All lines of a multi-line reply. */
  lines: string[];
  /** swaks marked it unexpected ("<**"). */
  unexpected: boolean;
}

export interface SwaksResult {
  /** swaks' exit code (0 ok, 2 connect failed, 21 banner, 22 HELO, 23 MAIL, 24 no RCPT accepted, 25 DATA, 26 after "."); -1 if killed on timeout. */
  code: number;
  /** The whole transcript (swaks' stderr is merged into stdout to keep the order). */
  stdout: string;
  stderr: string;
  /** Final line of the last reply that did not answer QUIT, e.g. "550 5.7.1 rejected". */
  lastReply?: string;
  replies: SwaksReply[];
  timedOut: boolean;
}

/** Command-line arguments for swaks from options. */
export function swaksArgs(o: SwaksOptions): string[] {
  const a = ['--server', o.server, '--to', Array.isArray(o.to) ? o.to.join(',') : o.to];
  if (o.from !== undefined) a.push('--from', o.from === '' ? '<>' : o.from);
  if (o.helo !== undefined) a.push('--ehlo', o.helo);
  if (o.protocol) a.push('--protocol', o.protocol);
  a.push('--timeout', `${o.timeoutSec ?? 15}s`);
  if (o.data !== undefined) {
    a.push('--data', '-', '--no-data-fixup');
  } else {
    if (o.subject !== undefined) a.push('--header', `Subject: ${o.subject}`);
    const hs = Array.isArray(o.headers) ? o.headers : Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
    for (const h of hs) a.push('--header', h);
    if (o.body !== undefined) a.push('--body', '-');
  }
  if (o.quitAfter) a.push('--quit-after', o.quitAfter);
  if (o.dropAfter) a.push('--drop-after', o.dropAfter);
  if (o.dropAfterSend) a.push('--drop-after-send', o.dropAfterSend);
  if (o.tls === true) a.push('--tls');
  if (o.tls === 'optional') a.push('--tls-optional');
  if (o.tlsOnConnect) a.push('--tls-on-connect');
  if (o.auth) {
    a.push('--auth-user', o.auth.user, '--auth-password', o.auth.password);
    a.push(...(o.auth.type ? ['--auth', o.auth.type] : ['--auth']));
  }
  if (o.pipeline) a.push('--pipeline');
  if (o.suppressData) a.push('--suppress-data');
  a.push(...(o.extraArgs ?? []));
  return a;
}

/** A raw message as SMTP DATA content for --no-data-fixup: CRLF line ends, dot-stuffed, ending in "\r\n.". */
function dataFor(msg: string | Buffer): Buffer {
  let s = Buffer.isBuffer(msg) ? msg.toString('latin1') : Buffer.from(msg, 'utf8').toString('latin1');
  s = s.replace(/\r?\n/g, '\r\n');
  if (!s.endsWith('\r\n')) s += '\r\n';
  s = s.replace(/^\./gm, '..');
  return Buffer.from(`${s}.\r\n`, 'latin1');
}

/** Splits swaks' transcript into server replies. */
export function parseSwaksTranscript(out: string): SwaksReply[] {
  const replies: SwaksReply[] = [];
  let lastSent = '';
  let pending: string[] = [];
  let unexpected = false;
  for (const line of out.split('\n')) {
    const p = line.slice(0, 3);
    const text = line.slice(4).replace(/\r$/, '');
    if (p === ' ->' || p === ' ~>' || p === '**>' || p === '*~>') {
      lastSent = text;
    } else if (p === '<- ' || p === '<~ ' || p === '<**' || p === '<~*') {
      pending.push(text);
      if (p === '<**' || p === '<~*') unexpected = true;
      if (/^\d{3}(?: |$)/.test(text)) {
        replies.push({ command: lastSent, code: Number(text.slice(0, 3)), text, lines: pending, unexpected });
        pending = [];
        unexpected = false;
      }
    }
  }
  return replies;
}

/** Runs swaks with raw arguments or SwaksOptions; never rejects because of an SMTP failure. */
export function swaks(
  argsOrOptions: string[] | SwaksOptions,
  { timeoutMs = 30_000, input }: { timeoutMs?: number; input?: string | Buffer } = {},
): Promise<SwaksResult> {
  let args: string[];
  let stdin: Buffer | undefined = input === undefined ? undefined : Buffer.from(input);
  if (Array.isArray(argsOrOptions)) {
    args = argsOrOptions;
  } else {
    args = swaksArgs(argsOrOptions);
    if (argsOrOptions.data !== undefined) stdin = dataFor(argsOrOptions.data);
    else if (argsOrOptions.body !== undefined) stdin = Buffer.from(argsOrOptions.body);
  }
  // "--config" without a file: ignore ~/.swaksrc; merge stderr into stdout so the transcript keeps its order.
  const full = [...(args.includes('--config') ? [] : ['--config']), ...args, '--output-file-stderr', '&STDOUT'];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWAKS_OPT_')));

  return new Promise((resolve, reject) => {
    const child = spawn('swaks', full, { env, stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (stdin) {
      child.stdin!.on('error', () => {}); // swaks may exit before reading everything
      child.stdin!.end(stdin);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run swaks (Debian package "swaks"): ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const replies = parseSwaksTranscript(stdout);
      const last = [...replies].reverse().find((r) => r.command.toUpperCase() !== 'QUIT');
      resolve({ code: timedOut ? -1 : (code ?? -1), stdout, stderr, lastReply: last?.text, replies, timedOut });
    });
  });
}
