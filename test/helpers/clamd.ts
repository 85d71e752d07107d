// Runs a real ClamAV clamd (Debian "clamav-daemon") on a free 127.0.0.1 port for e2e tests, with
// its own config and a database directory holding only the signatures the test gives (no
// freshclam, no internet). stop() and start() again let a test take clamd away and bring it back.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface Clamd {
  port: number;
  /** "127.0.0.1:PORT", for spamfinder.virus.clamd. */
  address: string;
  dir: string;
  /** Sends one clamd command (PING, VERSION) and returns the answer. */
  command(cmd: string): Promise<string>;
  /** clamd's log so far. */
  log(): Promise<string>;
  /** Stops clamd (it can be started again). */
  stop(): Promise<void>;
  /** Starts clamd again on the same port after stop(). */
  start(): Promise<void>;
  /** Stops clamd and removes its directory. */
  dispose(): Promise<void>;
}

/** A ClamAV body signature (.ndb) that matches `text` anywhere in any file. */
export function ndbSignature(name: string, text: string): string {
  return `${name}:0:*:${Buffer.from(text, 'latin1').toString('hex')}`;
}

function findClamd(): string {
  for (const d of ['/usr/sbin', '/usr/local/sbin', '/sbin', ...(process.env.PATH ?? '').split(':')]) {
    try {
      accessSync(join(d, 'clamd'), constants.X_OK);
      return join(d, 'clamd');
    } catch {
      /* next */
    }
  }
  throw new Error('clamd not found (Debian package "clamav-daemon"; run node scripts/install-test-tools.mjs)');
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function ask(port: number, cmd: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let out = '';
    const t = setTimeout(() => (s.destroy(), reject(new Error(`clamd ${cmd}: no answer`))), timeoutMs);
    s.on('connect', () => s.write(`z${cmd}\0`));
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('error', (e) => (clearTimeout(t), reject(e)));
    s.on('close', () => (clearTimeout(t), resolve(out.replace(/\0$/, '').trim())));
  });
}

/** Starts clamd with a database of exactly these signature files (name → content, e.g. "test.ndb"). */
export async function startClamd(signatures: Record<string, string>): Promise<Clamd> {
  const bin = findClamd();
  const dir = await tempDir('gatehouse-clamd-');
  const db = join(dir, 'db');
  await mkdir(db);
  await mkdir(join(dir, 'tmp'));
  for (const [file, content] of Object.entries(signatures)) await writeFile(join(db, file), content.endsWith('\n') ? content : content + '\n');
  const port = await freePort();
  const conf = join(dir, 'clamd.conf');
  await writeFile(
    conf,
    [
      'Foreground yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${db}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      `TemporaryDirectory ${join(dir, 'tmp')}`,
      'Bytecode no',
      'SelfCheck 0',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let output = '';

  const start = async () => {
    const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(c);
    c.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    c.once('exit', () => running.delete(c));
    await waitFor(
      async () => {
        if (c.exitCode !== null) throw new Error(`clamd exited: ${output.slice(-2000)}`);
        return (await ask(port, 'PING').catch(() => '')) === 'PONG';
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `clamd on 127.0.0.1:${port}` },
    );
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };

  await start();
  return {
    port,
    address: `127.0.0.1:${port}`,
    dir,
    command: (cmd) => ask(port, cmd),
    log: () => readFile(join(dir, 'clamd.log'), 'utf8').catch(() => ''),
    stop,
    start,
    async dispose() {
      await stop();
      await removeTempDir(dir);
    },
  };
}
