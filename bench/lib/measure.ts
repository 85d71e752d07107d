// One load against one peer: smtp-source -> proxy -> peer -> sink, and the figures from it; or
// split across several peers (cluster nodes): one smtp-source per peer, each through its own
// proxy, one sink, the figures over all of them (runSplitLoad).
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTracked } from './children.ts';
import type { Agent, ProxyDump, SinkDump } from './agents.ts';
import type { Peer } from './peer.ts';
import { resetHWM, sampleTree, treeCpuMs, vmHWM } from './procfs.ts';
import { percentile, round } from './stats.ts';
import { nowMs } from './token.ts';
import os from 'node:os';

export const SMTP_SOURCE = process.env.BENCH_SMTP_SOURCE ?? '/usr/sbin/smtp-source';

export interface LoadSpec {
  /** "connect" = new connection per mail (smtp-source default), "reuse" = -d */
  kind: 'connect' | 'reuse';
  mails: number;
  sessions: number;
  size: number;
  /** Match by Message-Id ("msgid") or by numbered recipient ("rcpt", adds smtp-source -N). */
  token: 'msgid' | 'rcpt';
  /** Whole load (sending + waiting for arrivals) must end within this. */
  timeoutMs: number;
  /** Give up waiting for arrivals when none came for this long. */
  stallMs: number;
}

export const LOAD_LABEL: Record<LoadSpec['kind'], string> = {
  connect: 'new connection per mail',
  reuse: 'connections reused (-d)',
};

export function smtpSourceArgs(spec: LoadSpec, port: number): string[] {
  return [
    '-4',
    '-s', String(spec.sessions),
    '-m', String(spec.mails),
    '-l', String(spec.size),
    '-f', 'bench@bench.test',
    '-t', 'user@bench.test',
    ...(spec.kind === 'reuse' ? ['-d'] : []),
    ...(spec.token === 'rcpt' ? ['-N'] : []),
    `127.0.0.1:${port}`,
  ];
}

export interface LoadResult {
  peer: string;
  load: LoadSpec['kind'];
  command: string;
  ok: boolean;
  errors: string[];
  sent: number;
  accepted: number;
  rejected: number;
  arrived: number;
  matched: number;
  /** tokens seen on more than one transaction at the proxy (left out of latency) */
  ambiguous: number;
  /** arrivals whose token was already seen at the sink in this load */
  duplicateArrivals: number;
  /** arrivals with a token the proxy never saw accepted */
  unknownArrivals: number;
  smtpSourceWallMs: number;
  smtpSourceExit: number | string | null;
  acceptedPerSec: number | null;
  /** first connection at the proxy -> last matched arrival at the sink */
  e2eWindowMs: number | null;
  deliveredPerSec: number | null;
  latencyMs: { p50: number | null; p90: number | null; p95: number | null; p99: number | null; max: number | null; min: number | null };
  /** arrivals at the sink more than 1.5 times the size sent (e.g. sealed by the peer) */
  grownArrivals: number;
  acceptLatencyMs: { p50: number | null; p99: number | null };
  peakRssMB: number | null;
  peakRssMethod: string;
  treeRssSumPeakMB: number | null;
  treePssSumPeakMB: number | null;
  treeProcsPeak: number;
  cpuMsTotal: number | null;
  cpuMsPerMail: number | null;
  proxyConnections: number;
  sinkConnections: number;
  /** CPU of the measuring helpers over the same window (to show they are cheap). */
  proxyCpuMsPerMail: number | null;
  sinkCpuMsPerMail: number | null;
  /** 1-minute load average when the load started (the machine is shared). */
  loadavgAtStart: number;
  /** Split loads: per peer, its share (peakRssMB above is then the sum of their peaks). */
  parts?: { port: number; accepted: number; wallMs: number; peakRssMB: number | null; cpuMsTotal: number | null }[];
  /** CPU of other processes watched over the load (e.g. PostgreSQL), ms per mail delivered. */
  watchedCpuMsPerMail?: Record<string, number | null>;
}

/** One peer of a split load, with the proxy in front of it. */
export interface LoadTarget {
  peer: Peer;
  proxy: Agent;
}

const MB = 1024 * 1024;

const perMail = (a: number | undefined, b: number | undefined, n: number) => (a !== undefined && b !== undefined && n ? round((b - a) / n, 3) : null);

async function runSmtpSource(args: string[], timeoutMs: number): Promise<{ wallMs: number; exit: number | string | null; output: string; timedOut: boolean }> {
  const t0 = nowMs();
  const child = spawnTracked(SMTP_SOURCE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }, timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { wallMs: nowMs() - t0, exit: code ?? signal, output: output.trim(), timedOut };
}

export function runLoad(peer: Peer, proxy: Agent, sink: Agent, spec: LoadSpec, log: (s: string) => void): Promise<LoadResult> {
  return runSplitLoad([{ peer, proxy }], sink, spec, log);
}

/** Adds up numbers that may be missing (null when any is). */
const sumOf = (xs: (number | null | undefined)[]): number | null => (xs.every((x) => typeof x === 'number') ? (xs as number[]).reduce((a, b) => a + b, 0) : null);

/** Concatenates the proxies' dumps into one (every field is per mail or a total). */
function mergeDumps(ds: ProxyDump[]): ProxyDump {
  if (ds.length === 1) return ds[0];
  const starts = ds.map((d) => d.firstConnect).filter((t) => t > 0);
  return {
    ids: ds.flatMap((d) => d.ids),
    rcpts: ds.flatMap((d) => d.rcpts),
    tDots: ds.flatMap((d) => d.tDots),
    tReplies: ds.flatMap((d) => d.tReplies),
    codes: ds.flatMap((d) => d.codes),
    firstConnect: starts.length ? Math.min(...starts) : 0,
    lastReply: Math.max(...ds.map((d) => d.lastReply)),
    connections: ds.reduce((a, d) => a + d.connections, 0),
    accepted: ds.reduce((a, d) => a + d.accepted, 0),
    rejected: ds.reduce((a, d) => a + d.rejected, 0),
    protocolErrors: ds.reduce((a, d) => a + d.protocolErrors, 0),
  };
}

/**
 * The load split evenly across `targets` (mails and sessions; one smtp-source per target, all at
 * once), arrivals at one sink. `watch` names other process trees whose CPU is reported per mail.
 */
export async function runSplitLoad(targets: LoadTarget[], sink: Agent, spec: LoadSpec, log: (s: string) => void, watch: Record<string, number> = {}): Promise<LoadResult> {
  const errors: string[] = [];
  const deadline = Date.now() + spec.timeoutMs;
  const peer = targets[0].peer;
  for (const t of targets) await t.proxy.rpc.call('reset');
  await sink.rpc.call('reset');

  const hwmPids = targets.map((t) => t.peer.hwmPid ?? t.peer.rootPid);
  const hwmPid = hwmPids[0];
  let hwmReset = false;
  if (peer.memory === 'hwm') hwmReset = hwmPids.map((p) => resetHWM(p)).every(Boolean);
  const sampler = sampleTree(peer.rootPid, 200);
  const loadavgAtStart = Math.round(os.loadavg()[0] * 100) / 100;
  const cpu0s = targets.map((t) => treeCpuMs(t.peer.rootPid));
  const proxyCpu0 = sumOf(targets.map((t) => treeCpuMs(t.proxy.pid)));
  const sinkCpu0 = treeCpuMs(sink.pid);
  const watch0 = Object.fromEntries(Object.entries(watch).map(([k, pid]) => [k, treeCpuMs(pid)]));

  // Mails and sessions split evenly; the first targets take the remainders.
  const share = (total: number, i: number) => Math.floor(total / targets.length) + (i < total % targets.length ? 1 : 0);
  const argsOf = targets.map((t, i) => smtpSourceArgs({ ...spec, mails: share(spec.mails, i), sessions: Math.max(1, share(spec.sessions, i)) }, t.proxy.port));
  const command = argsOf.map((a) => `smtp-source ${a.join(' ')}`).join(' & ');
  log(`  ${peer.name}${targets.length > 1 ? ` x${targets.length}` : ''} / ${LOAD_LABEL[spec.kind]}: ${command}`);
  const srcs = await Promise.all(argsOf.map((a) => runSmtpSource(a, spec.timeoutMs)));
  for (const src of srcs) {
    if (src.timedOut) errors.push(`smtp-source killed after ${spec.timeoutMs} ms`);
    else if (src.exit !== 0) errors.push(`smtp-source exit ${src.exit}: ${src.output.slice(0, 500)}`);
  }
  const src = { wallMs: Math.max(...srcs.map((x) => x.wallMs)), exit: srcs.find((x) => x.exit !== 0)?.exit ?? 0 };
  const counts = await Promise.all(targets.map((t) => t.proxy.rpc.call<{ accepted: number; rejected: number }>('count')));
  const px0 = { accepted: counts.reduce((a, c) => a + c.accepted, 0), rejected: counts.reduce((a, c) => a + c.rejected, 0) };
  log(`    smtp-source done in ${(src.wallMs / 1000).toFixed(1)} s, ${px0.accepted} accepted, ${px0.rejected} rejected; waiting for arrivals...`);

  // Wait until everything accepted has arrived at the sink (or time is up / nothing moves).
  let lastCount = -1;
  let lastMove = Date.now();
  for (;;) {
    const c = await sink.rpc.call<{ count: number }>('count');
    if (c.count >= px0.accepted) break;
    if (c.count !== lastCount) {
      lastCount = c.count;
      lastMove = Date.now();
    }
    if (Date.now() > deadline) {
      errors.push(`load timeout: ${c.count} of ${px0.accepted} arrived`);
      break;
    }
    if (Date.now() - lastMove > spec.stallMs) {
      errors.push(`no arrivals for ${spec.stallMs / 1000} s: ${c.count} of ${px0.accepted} arrived`);
      break;
    }
    await sleep(200);
  }
  const cpu1s = targets.map((t) => treeCpuMs(t.peer.rootPid));
  const proxyCpu1 = sumOf(targets.map((t) => treeCpuMs(t.proxy.pid)));
  const sinkCpu1 = treeCpuMs(sink.pid);
  const watch1 = Object.fromEntries(Object.entries(watch).map(([k, pid]) => [k, treeCpuMs(pid)]));
  const mem = sampler.stop();
  const hwms = peer.memory === 'hwm' ? hwmPids.map((p) => vmHWM(p)) : [];
  const hwm = peer.memory === 'hwm' ? (sumOf(hwms) ?? undefined) : undefined;
  const cpu0 = sumOf(cpu0s) ?? undefined;
  const cpu1 = sumOf(cpu1s) ?? undefined;

  const dumps = await Promise.all(targets.map((t) => t.proxy.rpc.call<ProxyDump>('dump', undefined, 120_000)));
  const px = mergeDumps(dumps);
  const sk = await sink.rpc.call<SinkDump>('dump', undefined, 120_000);
  if (px.protocolErrors) errors.push(`proxy: ${px.protocolErrors} replies without a command`);

  // token -> proxy entry index (accepted only); tokens seen twice are ambiguous.
  const pKey = spec.token === 'rcpt' ? px.rcpts : px.ids;
  const sKey = spec.token === 'rcpt' ? sk.rcpts : sk.ids;
  const byToken = new Map<string, number>();
  const ambiguousSet = new Set<string>();
  for (let i = 0; i < pKey.length; i++) {
    const k = pKey[i];
    if (!k || px.codes[i] < 200 || px.codes[i] >= 300) continue;
    if (byToken.has(k)) ambiguousSet.add(k);
    else byToken.set(k, i);
  }
  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicateArrivals = 0;
  let unknownArrivals = 0;
  let lastMatched = 0;
  let matched = 0;
  for (let j = 0; j < sKey.length; j++) {
    const k = sKey[j];
    if (!k || !byToken.has(k)) {
      unknownArrivals++;
      continue;
    }
    if (seen.has(k)) {
      duplicateArrivals++;
      continue;
    }
    seen.add(k);
    matched++;
    lastMatched = Math.max(lastMatched, sk.times[j]);
    if (!ambiguousSet.has(k)) latencies.push(sk.times[j] - px.tReplies[byToken.get(k)!]);
  }
  const acceptLat: number[] = [];
  for (let i = 0; i < px.codes.length; i++) if (px.codes[i] >= 200 && px.codes[i] < 300) acceptLat.push(px.tReplies[i] - px.tDots[i]);

  const e2eWindowMs = matched && px.firstConnect ? lastMatched - px.firstConnect : null;
  const cpuMsTotal = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : null;
  const peakRssMB =
    peer.memory === 'hwm' ? (hwm !== undefined ? hwm / MB : null) : mem.samples ? mem.peakRssSum / MB : null;

  const r: LoadResult = {
    peer: peer.name,
    load: spec.kind,
    command,
    ok: errors.length === 0 && matched === px.accepted && px.accepted === spec.mails,
    errors,
    sent: spec.mails,
    accepted: px.accepted,
    rejected: px.rejected,
    arrived: sk.times.length,
    grownArrivals: sk.sizes.filter((n) => n > spec.size * 1.5).length,
    matched,
    ambiguous: ambiguousSet.size,
    duplicateArrivals,
    unknownArrivals,
    smtpSourceWallMs: round(src.wallMs, 1) ?? 0,
    smtpSourceExit: src.exit,
    acceptedPerSec: round(px.accepted / (src.wallMs / 1000), 1),
    e2eWindowMs: round(e2eWindowMs, 1),
    deliveredPerSec: e2eWindowMs ? round(matched / (e2eWindowMs / 1000), 1) : null,
    latencyMs: {
      p50: round(percentile(latencies, 50), 2),
      p90: round(percentile(latencies, 90), 2),
      p95: round(percentile(latencies, 95), 2),
      p99: round(percentile(latencies, 99), 2),
      max: round(percentile(latencies, 100), 2),
      min: round(percentile(latencies, 0), 2),
    },
    acceptLatencyMs: { p50: round(percentile(acceptLat, 50), 2), p99: round(percentile(acceptLat, 99), 2) },
    peakRssMB: round(peakRssMB, 1),
    peakRssMethod:
      peer.memory === 'hwm'
        ? `VmHWM of pid ${hwmPids.join(' + ')}${hwmReset ? ' (reset via clear_refs before the load)' : ' (could not reset: peak since process start)'}`
        : `max over ${mem.samples} samples (every 200 ms) of the sum of VmRSS of all processes under the master`,
    treeRssSumPeakMB: round(mem.peakRssSum / MB, 1),
    treePssSumPeakMB: round(mem.peakPssSum / MB, 1),
    treeProcsPeak: mem.peakProcs,
    cpuMsTotal: round(cpuMsTotal, 0),
    cpuMsPerMail: cpuMsTotal !== null && matched ? round(cpuMsTotal / matched, 3) : null,
    proxyConnections: px.connections,
    sinkConnections: sk.connections,
    proxyCpuMsPerMail: perMail(proxyCpu0 ?? undefined, proxyCpu1 ?? undefined, px.accepted),
    sinkCpuMsPerMail: perMail(sinkCpu0, sinkCpu1, sk.times.length),
    loadavgAtStart,
  };
  if (matched < px.accepted) r.errors.push(`${px.accepted - matched} accepted mails not matched at the sink`);
  if (targets.length > 1) {
    r.parts = targets.map((t, i) => ({
      port: t.peer.smtpPort,
      accepted: counts[i].accepted,
      wallMs: round(srcs[i].wallMs, 1) ?? 0,
      peakRssMB: round(hwms[i] !== undefined ? hwms[i]! / MB : null, 1),
      cpuMsTotal: round(cpu0s[i] !== undefined && cpu1s[i] !== undefined ? cpu1s[i]! - cpu0s[i]! : null, 0),
    }));
  }
  if (Object.keys(watch).length) {
    r.watchedCpuMsPerMail = Object.fromEntries(Object.keys(watch).map((k) => [k, perMail(watch0[k], watch1[k], matched)]));
  }
  return r;
}
