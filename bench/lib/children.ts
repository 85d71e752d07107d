// Every process and temp dir the benchmark starts or makes is registered here, so that a normal
// end, an error, a timeout or Ctrl-C all stop the processes (by their own PID, never by name)
// and wipe the temp dirs.
import { fork, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

type Cleanup = { name: string; sync: () => void };

const cleanups: Cleanup[] = [];
const live = new Set<ChildProcess>();
let installed = false;
let cleaned = false;

export const keepTmp = () => process.env.BENCH_KEEP_TMP === '1';

/** Runs all cleanups (last registered first), synchronously. Safe to call twice. */
export function cleanupAll(): void {
  if (cleaned) return;
  cleaned = true;
  for (const c of cleanups.reverse()) {
    try {
      c.sync();
    } catch (err) {
      process.stderr.write(`cleanup ${c.name}: ${(err as Error).message}\n`);
    }
  }
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping everything...\n`);
      cleanupAll();
      process.exit(130);
    });
  }
}

/** Registers a synchronous cleanup step (stop a server, remove a dir). Returns an unregister function. */
export function onCleanup(name: string, sync: () => void): () => void {
  install();
  const c = { name, sync };
  cleanups.push(c);
  return () => {
    const i = cleanups.indexOf(c);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Removes a temp dir at cleanup time (unless BENCH_KEEP_TMP=1). */
export function removeDirOnCleanup(dir: string): void {
  onCleanup(`rm ${dir}`, () => {
    if (keepTmp()) {
      process.stderr.write(`BENCH_KEEP_TMP=1: keeping ${dir}\n`);
      return;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
}

function track(child: ChildProcess): ChildProcess {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** spawn() that is killed (SIGKILL by PID) at cleanup if still running. */
export function spawnTracked(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return track(spawn(cmd, args, opts));
}

/** Forks one of the bench/lib/*-child.ts modules under tsx, with an IPC channel. */
export function forkTs(moduleUrl: URL, args: string[], opts: { cwd?: string } = {}): ChildProcess {
  return track(
    fork(fileURLToPath(moduleUrl), args, {
      cwd: opts.cwd,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    }),
  );
}

/** Sends SIGTERM to the child's PID, then SIGKILL after graceMs; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

/** Synchronous best-effort kill by PID (for exit handlers). */
export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!pid) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Runs a command to completion with a time limit; returns status and output. */
export function runSync(cmd: string, args: string[], timeoutMs = 30_000): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** Typed request/response over a forked child's IPC channel ({id, ...} in, {id, ...} out). */
export class Rpc {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on('message', (m: unknown) => {
      const msg = m as { id?: number; error?: string; result?: unknown };
      if (typeof msg.id !== 'number') return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${name}: ${msg.error}`));
      else p.resolve(msg.result);
    });
    child.once('exit', (code, sig) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? sig})`));
      this.pending.clear();
    });
  }
  call<T>(cmd: string, arg?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.child.send({ id, cmd, arg });
    });
  }
}

/** Child side: waits for the parent's first message {ready}; answers requests with handlers. */
export function serveRpc(handlers: Record<string, (arg: unknown) => unknown | Promise<unknown>>): void {
  process.on('message', async (m: unknown) => {
    const msg = m as { id: number; cmd: string; arg?: unknown };
    const h = handlers[msg.cmd];
    try {
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      process.send!({ id: msg.id, result: await h(msg.arg) });
    } catch (err) {
      process.send!({ id: msg.id, error: (err as Error).message });
    }
  });
  // The parent is gone: don't linger.
  process.on('disconnect', () => process.exit(0));
}

/** Parent side: waits for the child's {ready: ...} message. */
export function waitReady<T>(child: ChildProcess, name: string, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    const onMsg = (m: unknown) => {
      const msg = m as { ready?: T; fatal?: string };
      if (msg.ready !== undefined) {
        clearTimeout(t);
        child.off('message', onMsg);
        resolve(msg.ready);
      } else if (msg.fatal) {
        clearTimeout(t);
        reject(new Error(`${name}: ${msg.fatal}`));
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code, sig) => {
      clearTimeout(t);
      reject(new Error(`${name} exited at start (${code ?? sig})`));
    });
  });
}
