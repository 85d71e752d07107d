// Gatehouse under test: `node bin/gatehouse.js start --config <dir>/gatehouse.yaml`, the whole
// chain (seal-in -> spamfinder -> depot -> seal-out -> deliver) routing bench.test to the sink.
// Ready when GET /api/v1/health on the admin listener answers 200.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killPid, onCleanup, spawnTracked, stopChild } from './children.ts';
import { httpStatus, pollUntil } from './net.ts';
import { treeStats } from './procfs.ts';
import { tail, type Peer } from './peer.ts';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const GATEHOUSE_BIN = join(REPO_ROOT, 'bin', 'gatehouse.js');

export interface GatehouseOptions {
  dir: string;
  smtpPort: number;
  adminPort: number;
  sinkPort: number;
  /** Time allowed to become healthy. */
  startTimeoutMs?: number;
  /** Cluster mode: the PostgreSQL URL (database.url) and this node's id; absent = embedded SQLite. */
  databaseUrl?: string;
  nodeId?: string;
  /** More YAML lines appended to the config (e.g. a `sealer:` section). */
  extraConfig?: string[];
}

export function gatehouseConfig(o: GatehouseOptions): string {
  return [
    '# Written by bench/lib/gatehouse.ts for one benchmark run; removed afterwards.',
    'hostname: gate.bench.test',
    `dataDir: ${JSON.stringify(join(o.dir, 'data'))}`,
    'smtp:',
    `  listen: "127.0.0.1:${o.smtpPort}"`,
    '  maxMessageSize: 52428800',
    'domains: [bench.test]',
    'trustedNetworks: ["127.0.0.0/8", "::1/128"]',
    'routes:',
    `  bench.test: "smtp://127.0.0.1:${o.sinkPort}"`,
    'admin:',
    `  listen: "127.0.0.1:${o.adminPort}"`,
    'log:',
    '  level: warn',
    ...(o.databaseUrl ? ['database:', `  url: ${JSON.stringify(o.databaseUrl)}`] : []),
    ...(o.nodeId ? [`nodeId: ${o.nodeId}`] : []),
    ...(o.extraConfig ?? []),
    '',
  ].join('\n');
}

export async function startGatehouse(o: GatehouseOptions): Promise<Peer> {
  if (!existsSync(GATEHOUSE_BIN)) throw new Error(`${GATEHOUSE_BIN} does not exist (yet)`);
  mkdirSync(join(o.dir, 'data'), { recursive: true });
  const configFile = join(o.dir, 'gatehouse.yaml');
  writeFileSync(configFile, gatehouseConfig(o));

  let out = '';
  const child = spawnTracked(process.execPath, [GATEHOUSE_BIN, 'start', '--config', configFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const pid = child.pid!;

  // Remember the whole tree (in case the CLI starts helper processes) to kill leftovers by PID.
  let known = new Map<number, string>();
  const remember = () => {
    for (const p of treeStats(pid)) known.set(p.pid, p.comm);
  };
  let stopped = false;
  const killSync = () => {
    if (stopped) return;
    stopped = true;
    remember();
    for (const [p, comm] of known) {
      const now = treeStats(p)[0];
      if (now && now.comm === comm) killPid(p, 'SIGKILL');
    }
  };
  const unregister = onCleanup('gatehouse', killSync);

  try {
    await pollUntil(
      `gatehouse health on 127.0.0.1:${o.adminPort}`,
      async () => (await httpStatus(o.adminPort, '/api/v1/health')) === 200,
      {
        timeoutMs: o.startTimeoutMs ?? 60_000,
        intervalMs: 200,
        abort: () => (child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : undefined),
      },
    );
  } catch (err) {
    killSync();
    unregister();
    throw new Error(`${(err as Error).message}\n${tail(out)}`);
  }
  remember();

  // If bin/gatehouse.js turns out to be a launcher, measure the process doing the work: the
  // biggest one in the tree.
  const tree = treeStats(pid);
  const main = tree.reduce((a, b) => (b.rss > a.rss ? b : a), tree[0]);

  return {
    name: 'gatehouse',
    smtpPort: o.smtpPort,
    rootPid: pid,
    memory: 'hwm',
    hwmPid: main.pid,
    info: {
      command: `node bin/gatehouse.js start --config ${configFile}`,
      processes: tree.map((p) => `${p.pid} ${p.comm}`),
      hwmPid: main.pid,
      route: `bench.test -> smtp://127.0.0.1:${o.sinkPort}`,
    },
    logTail: (n = 30) => tail(out, n),
    async stop() {
      remember();
      await stopChild(child, 15_000);
      killSync();
      unregister();
      known = new Map();
    },
  };
}
