// Reads memory and CPU figures of a process tree from /proc (Linux only).
//
// CPU: utime+stime of every live process of the tree, plus cutime+cstime of the root. A process
// that exits is reaped by its parent and its times move into the parent's cutime/cstime, so
// a snapshot taken before and one taken after a load bracket the CPU the whole tree used in
// between, including short-lived workers (Postfix's smtpd/cleanup/smtp come and go). Children
// reaped by a non-root parent count into that parent's cutime, which is only counted at the
// root: that misses grandchildren that exit while their parent lives on (neither Postfix nor a
// Node process tree of one level does that).
//
// Memory: VmHWM ("high water mark" = peak RSS) of one process, which can be reset by writing
// "5" to /proc/PID/clear_refs (Linux >= 4.0, needs to own the process or root), and sampled
// sums of RSS / PSS over the whole tree.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s));

function sysconf(name: string, dflt: number): number {
  try {
    const v = Number(execFileSync('getconf', [name], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isFinite(v) && v > 0 ? v : dflt;
  } catch {
    return dflt;
  }
}

export const CLK_TCK = sysconf('CLK_TCK', 100);
export const PAGE_SIZE = sysconf('PAGESIZE', 4096);

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime+stime in ms */
  cpuMs: number;
  /** cutime+cstime (reaped children) in ms */
  childCpuMs: number;
  /** resident set in bytes */
  rss: number;
}

/** Parses /proc/PID/stat; undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: it ends at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n-3].
  const tick = 1000 / CLK_TCK;
  return {
    pid,
    comm,
    state: f[0],
    ppid: num(f[1]),
    cpuMs: (num(f[11]) + num(f[12])) * tick,
    childCpuMs: (num(f[13]) + num(f[14])) * tick,
    rss: num(f[21]) * PAGE_SIZE,
  };
}

/** All processes (pid -> stat) currently visible in /proc. */
export function allStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const st = readStat(Number(n));
    if (st) out.set(st.pid, st);
  }
  return out;
}

/** The root and all its descendants (from one /proc scan). */
export function treeStats(root: number, all = allStats()): ProcStat[] {
  const kids = new Map<number, ProcStat[]>();
  for (const st of all.values()) {
    let l = kids.get(st.ppid);
    if (!l) kids.set(st.ppid, (l = []));
    l.push(st);
  }
  const rootSt = all.get(root);
  if (!rootSt) return [];
  const out: ProcStat[] = [];
  const todo = [rootSt];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    for (const k of kids.get(p.pid) ?? []) todo.push(k);
  }
  return out;
}

/** CPU ms used by the tree so far (live processes + reaped children of the root). */
export function treeCpuMs(root: number): number | undefined {
  const tree = treeStats(root);
  if (!tree.length) return undefined;
  let ms = tree[0].childCpuMs;
  for (const p of tree) ms += p.cpuMs;
  return ms;
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Peak RSS (VmHWM) of one process in bytes. */
export const vmHWM = (pid: number) => statusField(pid, 'VmHWM');
export const vmRSS = (pid: number) => statusField(pid, 'VmRSS');

/** Resets VmHWM to the current RSS; false if the kernel refused. */
export function resetHWM(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    return false;
  }
  const hwm = vmHWM(pid);
  const rss = vmRSS(pid);
  // After a reset the high-water mark equals the current RSS (give it a few pages of slack).
  return hwm !== undefined && rss !== undefined && hwm <= rss + 256 * 1024;
}

/** PSS (proportional set size: shared pages divided among their users) of one process, bytes. */
export function pss(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const m = /^Pss:\s+(\d+) kB/m.exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface TreeMemory {
  /** Highest sum of RSS over the tree seen in one sample. */
  peakRssSum: number;
  /** Highest sum of PSS over the tree seen in one sample (sampled less often, see pssEvery). */
  peakPssSum: number;
  /** Most processes seen in the tree in one sample. */
  peakProcs: number;
  samples: number;
}

/**
 * Samples the tree below `root` every intervalMs: sum of RSS of all its processes (every
 * sample) and sum of PSS (every pssEvery-th sample; smaps_rollup walks page tables and is
 * dearer). RSS sums count shared pages (libc, the binaries) once per process; PSS does not.
 */
export function sampleTree(root: number, intervalMs = 200, pssEvery = 5): { stop(): TreeMemory } {
  const mem: TreeMemory = { peakRssSum: 0, peakPssSum: 0, peakProcs: 0, samples: 0 };
  const sample = () => {
    const tree = treeStats(root);
    if (!tree.length) return;
    let rss = 0;
    for (const p of tree) rss += p.rss;
    mem.peakRssSum = Math.max(mem.peakRssSum, rss);
    mem.peakProcs = Math.max(mem.peakProcs, tree.length);
    if (mem.samples % pssEvery === 0) {
      let sum = 0;
      for (const p of tree) sum += pss(p.pid) ?? 0;
      mem.peakPssSum = Math.max(mem.peakPssSum, sum);
    }
    mem.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return mem;
    },
  };
}
