// Runs Postfix's real /usr/sbin/smtp-sink as the next-hop SMTP server in e2e tests, and reads back
// the mails it captured (one dump file per transaction, with the envelope) as SinkMessage objects.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readlinkSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { simpleParser, type ParsedMail } from 'mailparser';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface SmtpSinkOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Name in the greeting and EHLO reply (-h); default "sink.test". */
  hostname?: string;
  /**
   * Commands answered with a hard 5xx error (-f), e.g. ["RCPT"], ["DATA"], ["."]. Disables PIPELINING.
   * Note: with "." (and with disconnect ["."]) smtp-sink still writes the dump file, so messages() lists the rejected mail.
   */
  hardReject?: string[];
  /** Commands answered with a soft 4xx error (-r), e.g. ["RCPT"]. Disables PIPELINING. */
  softReject?: string[];
  /** Commands after which the sink drops the connection without replying (-q). */
  disconnect?: string[];
  /** Commands answered with "421" and a disconnect (-Q). */
  reply421?: string[];
  /** Text of hard rejects (-B), default "500 5.3.0 Error: command failed". */
  hardReply?: string;
  /** Text of soft rejects (-b), default "450 4.3.0 Error: command failed". */
  softReply?: string;
  /** Seconds to wait before answering DATA (-w). */
  dataDelay?: number;
  /** More smtp-sink options, inserted before the listen address. */
  extraArgs?: string[];
}

/** One captured mail transaction. */
export interface SinkMessage {
  /** The dump file. */
  file: string;
  /** The whole dump file (smtp-sink's X-* envelope headers and Received line, then the message). */
  dump: string;
  /** The message as received (after dot-unstuffing), lines ending in "\n" (smtp-sink drops the CRs). */
  raw: string;
  /** MAIL FROM address without <>; "" for the null sender. */
  sender: string;
  /** Full MAIL FROM arguments, e.g. "<a@b> SIZE=123 BODY=8BITMIME". */
  mailArgs: string;
  /** RCPT TO addresses, in order. */
  recipients: string[];
  /** Full RCPT TO arguments, in order. */
  rcptArgs: string[];
  /** Client address as seen by the sink ("127.0.0.1", or "ipv6:..."). */
  clientAddr: string;
  /** EHLO/HELO argument, if any. */
  helo?: string;
  /** Headers of the message (not the sink's own), name lower-cased, values unfolded, in order. */
  headers: Record<string, string[]>;
  /** The same headers as [name, value] pairs in message order, names as written. */
  headerList: [string, string][];
  /** First Subject header, undecoded. */
  subject?: string;
  /** First Message-ID header, including <>. */
  messageId?: string;
  /** Everything after the header/body separator. */
  body: string;
  /** MIME-parses `raw` with mailparser (decoded subject, text, html, attachments). */
  parse(): Promise<ParsedMail>;
}

export interface SmtpSink {
  port: number;
  /** 127.0.0.1:port */
  address: string;
  /** Temp directory of this sink; dump files are below `${dir}/mail`. */
  dir: string;
  pid: number;
  /** Mails captured so far, oldest first. Transactions still in progress are left out. */
  messages(): Promise<SinkMessage[]>;
  /** Waits until at least n mails were captured; returns all of them. */
  waitForCount(n: number, timeoutMs?: number): Promise<SinkMessage[]>;
  /** smtp-sink's own stdout/stderr so far. */
  output(): string;
  /** Kills the sink, waits for it to exit, and removes `dir` unless keepDir. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function findSmtpSink(): string {
  const dirs = ['/usr/sbin', '/usr/local/sbin', '/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const d of dirs) {
    try {
      accessSync(join(d, 'smtp-sink'), constants.X_OK);
      return join(d, 'smtp-sink');
    } catch {
      /* next */
    }
  }
  throw new Error('smtp-sink not found (Debian package "postfix"; run node scripts/install-test-tools.mjs)');
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** As root smtp-sink must drop privileges (-u nobody); then every directory above the dump dir must be searchable by others. */
function baseForRoot(): string | undefined {
  let d = tmpdir();
  for (;;) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return '/tmp';
    } catch {
      return '/tmp';
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Paths of files the sink process has open (= transactions in progress); undefined if /proc is not readable. */
function openFiles(pid: number): Set<string> | undefined {
  try {
    const fds = readdirSync(`/proc/${pid}/fd`);
    const out = new Set<string>();
    for (const fd of fds) {
      try {
        out.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        /* closed meanwhile */
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const addrOf = (args: string): string => {
  const m = /^\s*<([^>]*)>/.exec(args);
  return m ? m[1] : (args.trim().split(/\s+/)[0] ?? '');
};

/** Parses one smtp-sink dump file (format: see "DUMP FILE FORMAT" in smtp-sink(1)). */
export function parseSinkDump(file: string, dump: string): SinkMessage {
  const lines = dump.split('\n');
  let i = 0;
  let mailArgs = '';
  let clientAddr = '';
  let helo: string | undefined;
  const rcptArgs: string[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i];
    const m = /^(X-Client-Addr|X-Client-Proto|X-Helo-Args|X-Mail-Args|X-Rcpt-Args|Received): ?(.*)$/.exec(line);
    if (!m) break;
    if (m[1] === 'X-Client-Addr') clientAddr = m[2];
    else if (m[1] === 'X-Helo-Args') helo = m[2];
    else if (m[1] === 'X-Mail-Args') mailArgs = m[2];
    else if (m[1] === 'X-Rcpt-Args') rcptArgs.push(m[2]);
    else if (m[1] === 'Received') {
      // smtp-sink's own Received: header (3 lines) ends its part of the dump.
      i++;
      while (i < lines.length && /^[ \t]/.test(lines[i])) i++;
      break;
    }
  }
  let raw = lines.slice(i).join('\n');
  // smtp-sink appends one empty line after the message.
  if (raw.endsWith('\n\n')) raw = raw.slice(0, -1);
  else if (raw === '\n') raw = '';

  const sep = raw.startsWith('\n') ? 0 : raw.indexOf('\n\n');
  const headText = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + (sep === 0 ? 1 : 2));
  const headerList: [string, string][] = [];
  for (const l of headText.split('\n')) {
    if (l === '') continue;
    if (/^[ \t]/.test(l) && headerList.length > 0) {
      headerList[headerList.length - 1][1] += l;
      continue;
    }
    const c = l.indexOf(':');
    if (c > 0) headerList.push([l.slice(0, c), l.slice(c + 1).replace(/^[ \t]+/, '')]);
  }
  const headers: Record<string, string[]> = {};
  for (const [k, v] of headerList) (headers[k.toLowerCase()] ??= []).push(v);

  return {
    file,
    dump,
    raw,
    sender: addrOf(mailArgs),
    mailArgs,
    recipients: rcptArgs.map(addrOf),
    rcptArgs,
    clientAddr,
    helo,
    headers,
    headerList,
    subject: headers['subject']?.[0],
    messageId: headers['message-id']?.[0],
    body,
    parse: () => simpleParser(raw),
  };
}

/** Starts smtp-sink on 127.0.0.1, capturing every transaction to a file. */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const bin = findSmtpSink();
  const root = isRoot();
  const base = root ? baseForRoot() : undefined;
  const dir = await tempDir(base ? join(base, 'gatehouse-sink-') : 'gatehouse-sink-');
  const mailDir = join(dir, 'mail');
  await mkdir(mailDir);
  if (root) {
    // smtp-sink runs as "nobody" after binding; it must reach and write the dump directory.
    await chmod(dir, 0o755);
    await chmod(mailDir, 0o777);
  }

  const cmdList = (flag: string, cmds?: string[]) => (cmds && cmds.length ? [flag, cmds.join(',')] : []);
  const optArgs = [
    ...(root ? ['-u', 'nobody'] : []),
    '-h', opts.hostname ?? 'sink.test',
    '-d', `${mailDir}/%Y%m%d%H/%M.`,
    ...cmdList('-f', opts.hardReject),
    ...cmdList('-r', opts.softReject),
    ...cmdList('-q', opts.disconnect),
    ...cmdList('-Q', opts.reply421),
    ...(opts.hardReply ? ['-B', opts.hardReply] : []),
    ...(opts.softReply ? ['-b', opts.softReply] : []),
    ...(opts.dataDelay !== undefined ? ['-w', String(opts.dataDelay)] : []),
    ...(opts.extraArgs ?? []),
  ];

  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    let out = '';
    const child = spawn(bin, [...optArgs, `127.0.0.1:${port}`, '256'], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    let exited = false;
    const exitPromise = new Promise<void>((resolve) => {
      const done = () => {
        exited = true;
        running.delete(child);
        resolve();
      };
      child.once('exit', done);
      child.once('error', (err) => {
        out += String(err);
        done();
      });
    });

    try {
      await waitFor(async () => exited || (await portOpen(port)), { timeoutMs: 5000, intervalMs: 20, what: `smtp-sink on 127.0.0.1:${port}` });
    } catch (err) {
      child.kill('SIGKILL');
      await exitPromise;
      await removeTempDir(dir);
      throw new Error(`${(err as Error).message}; output: ${out}`);
    }
    if (exited) {
      if (opts.port === undefined && attempt < 5 && /in use|bind/i.test(out)) continue;
      await removeTempDir(dir);
      throw new Error(`smtp-sink exited at start: ${out.trim()} (command: ${bin} ${[...optArgs, `127.0.0.1:${port}`, '256'].join(' ')})`);
    }

    const pid = child.pid!;
    const messages = async (): Promise<SinkMessage[]> => {
      const files = await listFiles(mailDir);
      const open = exited ? new Set<string>() : openFiles(pid);
      const found: { msg: SinkMessage; mtime: bigint }[] = [];
      for (const f of files) {
        if (open?.has(f)) continue;
        const st = await stat(f, { bigint: true });
        // Without /proc, skip files written to in the last 300 ms (possibly still being written).
        if (!open && !exited && Date.now() - Number(st.mtimeMs) < 300) continue;
        found.push({ msg: parseSinkDump(f, await readFile(f, 'utf8')), mtime: st.mtimeNs });
      }
      found.sort((a, b) => (a.mtime < b.mtime ? -1 : a.mtime > b.mtime ? 1 : a.msg.file.localeCompare(b.msg.file)));
      return found.map((x) => x.msg);
    };

    return {
      port,
      address: `127.0.0.1:${port}`,
      dir,
      pid,
      messages,
      async waitForCount(n: number, timeoutMs = 10_000) {
        let last: SinkMessage[] = [];
        try {
          return await waitFor(
            async () => {
              last = await messages();
              return last.length >= n ? last : undefined;
            },
            { timeoutMs, intervalMs: 50, what: `${n} mail(s) at smtp-sink 127.0.0.1:${port}` },
          );
        } catch (err) {
          throw new Error(`${(err as Error).message} (got ${last.length})`);
        }
      },
      output: () => out,
      async stop({ keepDir = false } = {}) {
        if (!exited) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exitPromise;
          clearTimeout(t);
        }
        if (!keepDir) await removeTempDir(dir);
      },
    };
  }
}
