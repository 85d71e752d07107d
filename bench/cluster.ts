// Cluster benchmark: the backbone SMTP benchmark (bench/smtp.ts) against one Gatehouse node on
// SQLite, one node on PostgreSQL and two nodes on PostgreSQL, in one run, with the ratios.
//
//   npm run bench:cluster                   # 4,000 mails per load
//   BENCH_MAILS=1000 npm run bench:cluster  # quick run
//
//   smtp-source --> timing proxy --> node A --.
//   smtp-source --> timing proxy --> node B --+--> recording sink     (PostgreSQL: own process)
//
// With two nodes the load is split evenly (half the mails and half the sessions per node, both
// smtp-source runs at once), so the offered concurrency is the same in every setup. The pieces
// are bench/smtp.ts's: Postfix's smtp-source, the timing proxy, the recording sink (bench/lib/).
// PostgreSQL is a throwaway server (test/helpers/postgres.ts: initdb in a temp dir, loopback,
// fsync and synchronous_commit on as shipped), a fresh database per setup.
//
// Figures per setup: accepted mails/s, delivered mails/s, latency 250 -> arrival p50/p99, accept
// latency p50/p99, peak RSS (sum of the nodes' VmHWM), Gatehouse CPU per mail, PostgreSQL CPU per
// mail (the postmaster's process tree). Ratios: pg-1 / sqlite-1 and pg-2 / pg-1 (target >= 1.3).
//
// Settings (environment): BENCH_MAILS=4000 BENCH_SESSIONS=20 BENCH_SIZE=4096 BENCH_LOADS=connect
//   BENCH_SETUPS=sqlite-1,pg-1,pg-2 BENCH_WARMUP=200 BENCH_LOAD_TIMEOUT_S=600 BENCH_STALL_S=60
//   BENCH_TOTAL_TIMEOUT_S=2400 BENCH_RESULTS_DIR=bench/results
// Exit status 0 when every load delivered every mail. JSON in bench/results/cluster-<time>.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanupAll, removeDirOnCleanup } from './lib/children.ts';
import { startProxy, startSink, type Agent } from './lib/agents.ts';
import { REPO_ROOT, startGatehouse } from './lib/gatehouse.ts';
import { freePort } from './lib/net.ts';
import { LOAD_LABEL, runSplitLoad, type LoadResult, type LoadSpec, type LoadTarget } from './lib/measure.ts';
import type { Peer } from './lib/peer.ts';
import { fmt, ratio, table } from './lib/stats.ts';
import { startPostgres, type Postgres } from '../test/helpers/postgres.ts';

const env = (k: string, d: string) => process.env[k]?.trim() || d;
const int = (k: string, d: number) => {
  const v = Number(env(k, String(d)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`${k} must be a number >= 0`);
  return Math.floor(v);
};
const list = (k: string, d: string) => env(k, d).split(',').map((s) => s.trim()).filter(Boolean);

type SetupName = 'sqlite-1' | 'pg-1' | 'pg-2';
const SETUPS: Record<SetupName, { label: string; nodes: number; postgres: boolean }> = {
  'sqlite-1': { label: 'one node, SQLite', nodes: 1, postgres: false },
  'pg-1': { label: 'one node, PostgreSQL', nodes: 1, postgres: true },
  'pg-2': { label: 'two nodes, PostgreSQL', nodes: 2, postgres: true },
};

const settings = {
  mails: int('BENCH_MAILS', 4000),
  sessions: int('BENCH_SESSIONS', 20),
  size: int('BENCH_SIZE', 4096),
  loads: list('BENCH_LOADS', 'connect') as LoadSpec['kind'][],
  setups: list('BENCH_SETUPS', 'sqlite-1,pg-1,pg-2') as SetupName[],
  warmup: int('BENCH_WARMUP', 200),
  loadTimeoutMs: int('BENCH_LOAD_TIMEOUT_S', 600) * 1000,
  stallMs: int('BENCH_STALL_S', 60) * 1000,
  totalTimeoutMs: int('BENCH_TOTAL_TIMEOUT_S', 2400) * 1000,
  resultsDir: env('BENCH_RESULTS_DIR', join(REPO_ROOT, 'bench', 'results')),
};
for (const l of settings.loads) if (!(l in LOAD_LABEL)) throw new Error(`BENCH_LOADS: unknown load "${l}" (connect, reuse)`);
for (const s of settings.setups) if (!(s in SETUPS)) throw new Error(`BENCH_SETUPS: unknown setup "${s}" (${Object.keys(SETUPS).join(', ')})`);
if (settings.mails < 1) throw new Error('BENCH_MAILS must be >= 1');

const log = (s: string) => process.stdout.write(`${s}\n`);

interface SetupReport {
  name: SetupName;
  label: string;
  error?: string;
  loads: LoadResult[];
}

/** Starts the setup's nodes (together, as a cluster starts) with a proxy in front of each. */
async function startSetup(name: SetupName, tmp: string, sink: Agent, pg: Postgres | null): Promise<{ targets: LoadTarget[]; stop(): Promise<void> }> {
  const s = SETUPS[name];
  const url = s.postgres ? await pg!.createDatabase(`bench_${name.replace('-', '_')}`) : undefined;
  const peers: Peer[] = [];
  const proxies: Agent[] = [];
  const stop = async () => {
    for (const p of proxies) await p.stop();
    await Promise.all(peers.map((p) => p.stop()));
  };
  // Every node of one appliance holds the same key files (docs/cluster.md); without them each
  // node makes its own and the second refuses the services of the keys it does not share
  // (seen: node 0 archived nothing, so node 1 did all of mail-depot's work).
  const keys = ['archive.key', 'sealer.key', 'portal.key'].map((k) => [k, randomBytes(32).toString('base64') + '\n']);
  try {
    const started = await Promise.allSettled(
      Array.from({ length: s.nodes }, async (_, i) => {
        const dir = join(tmp, `${name}-${i}`);
        mkdirSync(join(dir, 'data', 'keys'), { recursive: true, mode: 0o700 });
        for (const [k, v] of keys) writeFileSync(join(dir, 'data', 'keys', k), v, { mode: 0o600 });
        return startGatehouse({ dir, smtpPort: await freePort(), adminPort: await freePort(), sinkPort: sink.port, databaseUrl: url, nodeId: `${name}-node-${i}` });
      }),
    );
    for (const r of started) if (r.status === 'fulfilled') peers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const p of peers) proxies.push(await startProxy(p.smtpPort));
    return { targets: peers.map((peer, i) => ({ peer, proxy: proxies[i] })), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function printReport(reports: SetupReport[], pgVersion: string): void {
  log('');
  for (const kind of settings.loads) {
    const cols = reports.map((r) => ({ name: r.name, res: r.loads.find((l) => l.load === kind) }));
    log(`== ${LOAD_LABEL[kind]}, ${settings.mails} mails x ${settings.size} B, ${settings.sessions} sessions in all (split across the nodes)`);
    const get = (n: SetupName) => cols.find((c) => c.name === n)?.res;
    const row = (label: string, f: (r: LoadResult) => number | null | undefined, digits = 1, ratios = true): string[] => {
      const v = (n: SetupName) => {
        const r = get(n);
        return r ? f(r) : null;
      };
      return [label, ...cols.map((c) => fmt(c.res ? f(c.res) : null, digits)), ratios ? ratio(v('pg-1'), v('sqlite-1')) : '', ratios ? ratio(v('pg-2'), v('pg-1')) : ''];
    };
    const rows: string[][] = [
      ['', ...cols.map((c) => c.name), 'pg-1/sqlite-1', 'pg-2/pg-1'],
      row('accepted mails/s (smtp-source wall time)', (r) => r.acceptedPerSec),
      row('delivered mails/s (first connect -> last arrival)', (r) => r.deliveredPerSec),
      row('latency 250 -> arrival p50 (ms)', (r) => r.latencyMs.p50, 2),
      row('latency 250 -> arrival p99 (ms)', (r) => r.latencyMs.p99, 2),
      row('accept latency "." -> 250 p50 (ms)', (r) => r.acceptLatencyMs.p50, 2),
      row('accept latency "." -> 250 p99 (ms)', (r) => r.acceptLatencyMs.p99, 2),
      row('peak RSS, sum over nodes (MB)', (r) => r.peakRssMB),
      row('Gatehouse CPU per mail (ms, all nodes)', (r) => r.cpuMsPerMail, 3),
      row('PostgreSQL CPU per mail (ms)', (r) => r.watchedCpuMsPerMail?.postgres ?? null, 3),
      row('mails accepted', (r) => r.accepted, 0, false),
      row('mails arrived at sink (matched)', (r) => r.matched, 0, false),
      row('duplicate arrivals', (r) => r.duplicateArrivals, 0, false),
      row('load average (1 min) at start', (r) => r.loadavgAtStart, 2, false),
    ];
    log(table(rows));
    for (const c of cols) {
      if (c.res?.parts) log(`  ${c.name} per node: ${c.res.parts.map((p) => `${p.accepted} accepted in ${(p.wallMs / 1000).toFixed(1)} s, peak RSS ${fmt(p.peakRssMB)} MB, CPU ${fmt(p.cpuMsTotal, 0)} ms`).join(' | ')}`);
      if (c.res?.errors.length) log(`  ! ${c.name}: ${c.res.errors.join('; ')}`);
    }
    const g = (n: SetupName) => get(n)?.deliveredPerSec ?? null;
    const two = g('pg-2');
    const one = g('pg-1');
    if (two && one) log(`  two nodes / one node on PostgreSQL, delivered mails/s: ${(two / one).toFixed(2)}x (target >= 1.3x)`);
    log('');
  }
  for (const r of reports) if (r.error) log(`!! ${r.name} not measured: ${r.error.split('\n')[0]}`);
  log(`Notes:\n  - PostgreSQL ${pgVersion} on 127.0.0.1 in a temp dir (fsync on, synchronous_commit on), sharing the ${os.cpus().length} CPUs with the nodes, proxies, sink and smtp-source.`);
  log('  - latency and throughput are measured as in bench:smtp (see bench/smtp.ts); with two nodes the proxies\' records are merged.');
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`\nbench: whole run exceeded ${settings.totalTimeoutMs / 1000} s, aborting\n`);
    cleanupAll();
    process.exit(2);
  }, settings.totalTimeoutMs);
  watchdog.unref();

  const tmp = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-cluster-'));
  removeDirOnCleanup(tmp);
  const started = new Date();
  log(`bench:cluster  ${started.toISOString()}  ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}`);
  log(`  ${settings.mails} mails x ${settings.size} B per load, ${settings.sessions} sessions, loads: ${settings.loads.join(', ')}; setups: ${settings.setups.join(', ')}; warm-up ${settings.warmup}`);

  const sink = await startSink();
  const needPg = settings.setups.some((s) => SETUPS[s].postgres);
  const pg = needPg ? await startPostgres() : null;
  let pgVersion = '-';
  if (pg) {
    const { default: pgDriver } = await import('pg');
    const c = new pgDriver.Client({ connectionString: pg.adminUrl });
    await c.connect();
    pgVersion = (await c.query<{ server_version: string }>('show server_version')).rows[0].server_version;
    await c.end();
    log(`  PostgreSQL ${pgVersion} pid ${pg.pid()} on 127.0.0.1:${pg.port}`);
  }
  const reports: SetupReport[] = [];
  try {
    for (const name of settings.setups) {
      const rep: SetupReport = { name, label: SETUPS[name].label, loads: [] };
      reports.push(rep);
      let setup: Awaited<ReturnType<typeof startSetup>> | undefined;
      try {
        log(`\n-- ${name} (${rep.label}): starting`);
        setup = await startSetup(name, tmp, sink, pg);
        const watch: Record<string, number> = pg ? { postgres: pg.pid() } : {};
        const spec = (kind: LoadSpec['kind'], mails: number): LoadSpec => ({
          kind,
          mails,
          sessions: settings.sessions,
          size: settings.size,
          token: 'msgid',
          timeoutMs: settings.loadTimeoutMs,
          stallMs: settings.stallMs,
        });
        if (settings.warmup > 0) {
          await runSplitLoad(setup.targets, sink, spec('reuse', settings.warmup), (s) => log(`${s} [warm-up]`));
          await sleep(1000);
        }
        for (const kind of settings.loads) {
          const r = await runSplitLoad(setup.targets, sink, spec(kind, settings.mails), log, SETUPS[name].postgres ? watch : {});
          rep.loads.push(r);
          log(
            `    ${r.acceptedPerSec} accepted/s, ${r.deliveredPerSec} delivered/s, latency p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms, peak RSS ${r.peakRssMB} MB, CPU ${r.cpuMsPerMail} ms/mail` +
              (r.watchedCpuMsPerMail?.postgres != null ? `, PostgreSQL ${r.watchedCpuMsPerMail.postgres} ms/mail` : '') +
              (r.errors.length ? `  ! ${r.errors.join('; ')}` : ''),
          );
          if (r.errors.length) for (const t of setup.targets) log(`    last log lines:\n${t.peer.logTail(10).replace(/^/gm, '      ')}`);
          await sleep(2000);
        }
      } catch (err) {
        rep.error = (err as Error).message;
        log(`  !! ${name}: ${rep.error}`);
      } finally {
        if (setup) {
          log(`  ${name}: stopping`);
          await setup.stop();
        }
      }
    }
  } finally {
    await sink.stop();
    await pg?.close();
  }

  printReport(reports, pgVersion);
  const byName = (n: SetupName, kind: LoadSpec['kind']) => reports.find((r) => r.name === n)?.loads.find((l) => l.load === kind);
  const q = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);
  const result = {
    benchmark: 'cluster',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    settings: { ...settings, resultsDir: undefined },
    machine: { cpus: os.cpus().length, memTotalMB: Math.round(os.totalmem() / 1024 / 1024), node: process.version, postgres: pgVersion },
    setups: reports,
    ratios: Object.fromEntries(
      settings.loads.map((kind) => {
        const [s1, p1, p2] = (['sqlite-1', 'pg-1', 'pg-2'] as SetupName[]).map((n) => byName(n, kind));
        return [
          kind,
          {
            'pg-1/sqlite-1': { acceptedPerSec: q(p1?.acceptedPerSec, s1?.acceptedPerSec), deliveredPerSec: q(p1?.deliveredPerSec, s1?.deliveredPerSec), latencyP50: q(p1?.latencyMs.p50, s1?.latencyMs.p50) },
            'pg-2/pg-1': { acceptedPerSec: q(p2?.acceptedPerSec, p1?.acceptedPerSec), deliveredPerSec: q(p2?.deliveredPerSec, p1?.deliveredPerSec), latencyP50: q(p2?.latencyMs.p50, p1?.latencyMs.p50) },
          },
        ];
      }),
    ),
  };
  mkdirSync(settings.resultsDir, { recursive: true });
  const file = join(settings.resultsDir, `cluster-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`\nresults: ${relative(process.cwd(), file) || file}`);
  return reports.some((r) => r.error || r.loads.some((l) => !l.ok)) ? 1 : 0;
}

main()
  .then((code) => {
    cleanupAll();
    process.exit(code);
  })
  .catch((err) => {
    process.stderr.write(`bench:cluster failed: ${(err as Error).stack ?? err}\n`);
    cleanupAll();
    process.exit(1);
  });
