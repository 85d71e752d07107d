// Starts the real gateway (`node bin/gatehouse.js start --config FILE`) in a temp dir for e2e tests, waits
// until its admin API is healthy, and gives the test the API (with the admin token), the CLI and process control.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

/** Repository root (cwd of the gateway and CLI processes). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The gateway command; GATEHOUSE_TEST_BIN (path relative to the repo root, or absolute) overrides it. */
const BIN = process.env.GATEHOUSE_TEST_BIN ?? 'bin/gatehouse.js';

export interface GatewayOptions {
  /**
   * Configuration (keys of src/config/schema.ts). Filled in when absent: smtp.listen and admin.listen
   * (free 127.0.0.1 ports), dataDir (`<dir>/data`; a relative one is made absolute under `<dir>`), and
   * dns.servers (a dead local port, so nothing ever reaches the internet; set dns.servers to a test DNS server).
   */
  config: Record<string, unknown>;
  /** Data directory (overrides config.dataDir). */
  dataDir?: string;
  /** Extra environment variables for the gateway and CLI processes. */
  env?: Record<string, string | undefined>;
  /** How long to wait for /api/v1/health to answer 200 (default 20 s). */
  startTimeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
  text: string;
  headers: Headers;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Gateway {
  /** PID of the current gateway process (changes on restart()). */
  readonly pid: number;
  /** Temp dir holding gatehouse.yaml, stdout.log, stderr.log and (by default) the data dir. */
  dir: string;
  dataDir: string;
  configFile: string;
  /** The configuration as written (with the filled-in defaults). */
  config: Record<string, unknown>;
  smtpPort: number;
  /** "127.0.0.1:PORT" of the SMTP listener (for swaks --server). */
  smtpAddress: string;
  /** e.g. "http://127.0.0.1:PORT" */
  adminUrl: string;
  /** Bearer token read from <dataDir>/admin.token (re-read on restart()). */
  readonly token: string;
  /** Calls the admin API with the token; opts.token overrides it (null = no Authorization header). */
  api(method: string, path: string, body?: unknown, opts?: { token?: string | null; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** Runs `node bin/gatehouse.js ...args --config <file>` from the repo root. */
  cli(args: string[], opts?: { input?: string; timeoutMs?: number; env?: Record<string, string | undefined> }): Promise<CliResult>;
  /** Sends a signal; for SIGKILL/SIGTERM/SIGINT/SIGQUIT waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, wait for exit (SIGKILL after 10 s). Resolves with how it ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Stops (if running) and starts again with the same config file and data dir; waits until healthy. */
  restart(): Promise<void>;
  /** What the gateway printed so far (all runs, appended). */
  logs(): { stdout: string; stderr: string };
  /** stop() and remove the temp dir. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function childEnv(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT; // set by the test runner for its children; not for the gateway
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Fills in listeners, dataDir and dns.servers (see GatewayOptions.config). */
async function completeConfig(dir: string, input: Record<string, unknown>, dataDir?: string): Promise<Record<string, unknown>> {
  const cfg = structuredClone(input);
  for (const key of ['smtp', 'admin']) {
    if (cfg[key] === undefined) cfg[key] = {};
    const section = cfg[key];
    if (isObject(section) && section.listen === undefined) section.listen = `127.0.0.1:${await freePort()}`;
  }
  if (cfg.dns === undefined) cfg.dns = {};
  if (isObject(cfg.dns) && cfg.dns.servers === undefined) cfg.dns.servers = ['127.0.0.1:1'];
  const dd = dataDir ?? cfg.dataDir;
  if (dd === undefined) cfg.dataDir = join(dir, 'data');
  else if (typeof dd === 'string') cfg.dataDir = isAbsolute(dd) ? dd : resolve(dir, dd);
  else cfg.dataDir = dd;
  return cfg;
}

function portOf(listen: unknown): number {
  const s = String(listen);
  return Number(s.slice(s.lastIndexOf(':') + 1));
}

function urlHost(listen: string): string {
  const host = listen.slice(0, listen.lastIndexOf(':'));
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '[::]' || host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function spawnGateway(dir: string, configFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(join(dir, 'stdout.log'), 'a');
  const err = openSync(join(dir, 'stderr.log'), 'a');
  try {
    const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { cwd: repoRoot, env, stdio: ['ignore', out, err] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
}

function runCli(args: string[], configFile: string, env: NodeJS.ProcessEnv, input?: string, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', configFile], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin!.on('error', () => {});
    child.stdin!.end(input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`gatehouse ${args.join(' ')} did not finish in ${timeoutMs} ms; stderr: ${tail(stderr)}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

/** Starts a gateway and waits until GET /api/v1/health answers 200 and the admin token exists. */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const dir = await tempDir('gatehouse-gw-');
  const config = await completeConfig(dir, opts.config, opts.dataDir);
  const configFile = join(dir, 'gatehouse.yaml');
  await writeFile(configFile, stringify(config));
  const dataDir = String(config.dataDir);
  const smtpListen = String((config.smtp as Record<string, unknown>).listen);
  const adminListen = String((config.admin as Record<string, unknown>).listen);
  const smtpPort = portOf(smtpListen);
  const adminUrl = `http://${urlHost(adminListen)}:${portOf(adminListen)}`;
  const env = childEnv(opts.env);
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;

  const logs = () => {
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
    return { stdout: read('stdout.log'), stderr: read('stderr.log') };
  };

  let child!: ChildProcess;
  let token = '';

  const launch = async () => {
    child = spawnGateway(dir, configFile, env);
    const c = child;
    const failure = (why: string) => {
      const l = logs();
      return new Error(`gateway ${why}\n--- stderr (tail) ---\n${tail(l.stderr)}\n--- stdout (tail) ---\n${tail(l.stdout)}`);
    };
    try {
      await waitFor(
        async () => {
          if (c.exitCode !== null || c.signalCode !== null) return 'exited';
          const r = await fetch(`${adminUrl}/api/v1/health`, { signal: AbortSignal.timeout(1000) });
          await r.arrayBuffer();
          return r.status === 200 ? 'up' : undefined;
        },
        { timeoutMs: startTimeoutMs, intervalMs: 100, what: `${adminUrl}/api/v1/health` },
      ).then((state) => {
        if (state === 'exited') throw failure(`exited during start-up (code ${c.exitCode}, signal ${c.signalCode})`);
      });
    } catch (err) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exitOf(c);
        throw failure(`did not become healthy within ${startTimeoutMs} ms (${(err as Error).message})`);
      }
      throw err;
    }
    const tokenFile = join(dataDir, 'admin.token');
    try {
      token = await waitFor(() => (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() || undefined : undefined), {
        timeoutMs: 5000,
        what: tokenFile,
      });
    } catch (err) {
      c.kill('SIGKILL');
      await exitOf(c);
      throw failure((err as Error).message);
    }
  };

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
    const done = exitOf(child);
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const r = await done;
    clearTimeout(t);
    return r;
  };

  try {
    await launch();
  } catch (err) {
    await removeTempDir(dir).catch(() => {});
    throw err;
  }

  return {
    get pid() {
      return child.pid!;
    },
    get token() {
      return token;
    },
    dir,
    dataDir,
    configFile,
    config,
    smtpPort,
    smtpAddress: `127.0.0.1:${smtpPort}`,
    adminUrl,
    async api(method, path, body, o = {}) {
      const auth = o.token === undefined ? token : o.token;
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (auth !== null) headers.authorization = `Bearer ${auth}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await fetch(`${adminUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: r.status, json, text, headers: r.headers };
    },
    cli(args, o = {}) {
      return runCli(args, configFile, o.env ? childEnv({ ...opts.env, ...o.env }) : env, o.input, o.timeoutMs);
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = exitOf(child);
      child.kill(signal);
      if (['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT'].includes(signal)) await done;
    },
    stop,
    async restart() {
      await stop();
      await launch();
    },
    logs,
    async dispose() {
      await stop();
      await removeTempDir(dir);
    },
  };
}

/**
 * Runs `gatehouse start` with a configuration that should make it exit (e.g. a validation error) and resolves
 * with how it exited. `config` as an object gets the same filled-in defaults as startGateway(); a string is
 * written verbatim as the config file. Rejects if the gateway is still running after timeoutMs (default 20 s).
 */
export async function startGatewayExpectFailure(
  config: Record<string, unknown> | string,
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; dir: string; configFile: string }> {
  const dir = await tempDir('gatehouse-gw-');
  const configFile = join(dir, 'gatehouse.yaml');
  await writeFile(configFile, typeof config === 'string' ? config : stringify(await completeConfig(dir, config)));
  const child = spawnGateway(dir, configFile, childEnv(opts.env));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timedOut = false;
  const t = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const { code, signal } = await exitOf(child);
  clearTimeout(t);
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const result = { code, signal, stdout: read('stdout.log'), stderr: read('stderr.log'), dir, configFile };
  await removeTempDir(dir);
  if (timedOut) throw new Error(`gateway was expected to exit but still ran after ${timeoutMs} ms; stderr: ${tail(result.stderr)}`);
  return result;
}
