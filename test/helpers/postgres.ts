// Runs a throwaway PostgreSQL for tests and benchmarks (Debian `postgresql`): `initdb` into a temp
// dir, `postgres` on a free 127.0.0.1 port as a child of the test, stopped by its PID. As root
// the server runs as the `postgres` system user (PostgreSQL refuses uid 0). No system service.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export interface Postgres {
  host: '127.0.0.1';
  port: number;
  /** Superuser connection URL of the `postgres` database. */
  adminUrl: string;
  /** Makes a new empty database and returns its URL (one per test keeps tests apart). */
  createDatabase(name?: string): Promise<string>;
  pid(): number;
  /** Stops the server (fast shutdown) and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  log(): string;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** The directory holding initdb and postgres (PATH, then Debian's /usr/lib/postgresql/N/bin, newest first). */
export function findPostgresBin(): string {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))) dirs.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* not installed there */
  }
  for (const d of dirs) {
    try {
      accessSync(join(d, 'initdb'), constants.X_OK);
      accessSync(join(d, 'postgres'), constants.X_OK);
      return d;
    } catch {
      /* keep looking */
    }
  }
  throw new Error('PostgreSQL is not installed (Debian package postgresql; see scripts/install-test-tools.mjs)');
}

function systemUser(name: string): { uid: number; gid: number } | null {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) return null;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

let dbCounter = 0;

export async function startPostgres(opts: { settings?: Record<string, string> } = {}): Promise<Postgres> {
  const bin = findPostgresBin();
  const dir = await tempDir('gatehouse-pg-');
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  const owner = root ? systemUser('postgres') ?? systemUser('nobody') : null;
  if (root && !owner) throw new Error('running as root and there is no postgres or nobody user to run PostgreSQL as');
  if (owner) {
    chmodSync(dir, 0o755);
    chownSync(dir, owner.uid, owner.gid);
  }
  const spawnOpts = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
    ...spawnOpts,
    encoding: 'utf8',
    cwd: dir,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    max_connections: '200',
    shared_buffers: '64MB',
    logging_collector: 'off',
    ...opts.settings,
  };
  let child: ChildProcess | null = null;
  let output = '';

  async function start(): Promise<void> {
    const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const c = spawn(join(bin, 'postgres'), args, { ...spawnOpts, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(c);
    c.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    c.once('exit', () => running.delete(c));
    await waitFor(
      async () => {
        if (c.exitCode !== null) throw new Error(`postgres exited (${c.exitCode}): ${output.slice(-2000)}`);
        const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
        try {
          await client.connect();
          await client.query('select 1');
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => {});
        }
      },
      { timeoutMs: 30_000, what: 'PostgreSQL accepting connections' },
    );
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
    await exited;
    child = null;
  }

  await start();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    host: '127.0.0.1',
    port,
    adminUrl,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `gatehouse_${process.pid}_${++dbCounter}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`create database "${db}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    pid: () => child?.pid ?? 0,
    async restart(downMs = 0): Promise<void> {
      await stop();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop,
    start,
    log: () => output,
    async close(): Promise<void> {
      await stop();
      await removeTempDir(dir);
    },
  };
}
