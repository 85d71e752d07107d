// SMTP relay benchmark: Gatehouse side by side with a plain Postfix relay, same load, same sink.
//
//   npm run bench:smtp                      # 10,000 mails per load
//   BENCH_MAILS=500 npm run bench:smtp      # quick run
//
//   smtp-source --> timing proxy --> peer (Postfix | Gatehouse) --> recording sink
//                   (child process)                                 (child process)
//
// Loads (Postfix's own /usr/sbin/smtp-source, 20 sessions, 4 KiB mails to user@bench.test):
// once with a new connection per mail, once reusing connections (-d). Per peer and load:
//   - accepted mails/s: mails answered 2xx at end of DATA / smtp-source's wall time
//   - delivered mails/s: mails arrived at the sink / (first connection at the proxy -> last arrival)
//   - latency p50/p99: arrival at the sink - the peer's 250 to end of DATA, seen by the proxy,
//     matched per mail by the Message-Id smtp-source writes (see bench/lib/token.ts). The proxy
//     sits in front of both peers alike, so its own cost is in both figures equally.
//   - peak RSS: Gatehouse = VmHWM of its process (reset before each load via clear_refs);
//     Postfix = highest sum of VmRSS over master + all its children, sampled every 200 ms
//     (RSS sums count shared pages once per process, so the PSS sum is shown as well).
//   - CPU per mail: utime+stime of the whole process tree (/proc/PID/stat, incl. reaped
//     children via the root's cutime/cstime) over the load, / mails delivered.
// Then a large-mail check: 50 concurrent 10 MiB mails (nodemailer, 50 connections), all must
// arrive, peak RSS reported (Gatehouse target < 400 MB).
//
// Settings (environment):
//   BENCH_MAILS=10000  BENCH_SESSIONS=20  BENCH_SIZE=4096  BENCH_LOADS=connect,reuse
//   BENCH_PEERS=postfix,gatehouse  BENCH_WARMUP=200 (mails, reuse, not reported; 0 = none)
//   BENCH_TOKEN=msgid|rcpt (rcpt adds smtp-source -N: numbered, guaranteed-unique recipients)
//   BENCH_LOAD_TIMEOUT_S=600 (per load, sending + delivery)  BENCH_STALL_S=60
//   BENCH_TOTAL_TIMEOUT_S=3000 (whole run)  BENCH_LARGE=1  BENCH_LARGE_PEERS=gatehouse,postfix
//   BENCH_LARGE_MAILS=50  BENCH_LARGE_MIB=10  BENCH_LARGE_TARGET_MB=400
//   BENCH_KEEP_TMP=1 (keep the temp dir)  BENCH_RESULTS_DIR=bench/results
//   BENCH_SINK_GREETING_DELAY=1 (keep smtp-server's 100 ms greeting hold-back in the sink;
//   patched out by default, see bench/lib/sink-child.ts)
// Seal cost (issue 5: sealing half the mails must not cost more than 30% of the throughput):
//   BENCH_SEAL=1 npm run bench:smtp   runs the load on Gatehouse twice, with no sealer policy and
//   with a policy that S/MIME signs+encrypts every mail to an even-numbered recipient (smtp-source
//   -N: 0user@, 1user@, ... so exactly half), with a domain certificate for @bench.test imported
//   before the load. Defaults then: BENCH_MAILS=1000, BENCH_LOADS=reuse, BENCH_TOKEN=rcpt, no
//   Postfix, no large-mail check. Sealed mails are counted at the sink by their grown size.
// Exit status 0 when every load delivered every mail, 1 otherwise. Results: table on stdout,
// JSON in bench/results/smtp-<timestamp>.json.
import { mkdtempSync, chmodSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanupAll, removeDirOnCleanup, runSync } from './lib/children.ts';
import { startProxy, startSink, type Agent } from './lib/agents.ts';
import { startPostfix } from './lib/postfix.ts';
import { GATEHOUSE_BIN, REPO_ROOT, startGatehouse } from './lib/gatehouse.ts';
import { freePort } from './lib/net.ts';
import { LOAD_LABEL, runLoad, SMTP_SOURCE, type LoadResult, type LoadSpec } from './lib/measure.ts';
import { runLargeCheck, type LargeResult } from './lib/large.ts';
import type { Peer } from './lib/peer.ts';
import { fmt, ratio, table } from './lib/stats.ts';

/** BENCH_SEAL: Gatehouse with the half-sealing policy, reported beside plain Gatehouse. */
const SEALED = 'gatehouse-sealed';
const SEAL_CONFIG = [
  'sealer:',
  '  policies:',
  '    - name: bench-half',
  '      direction: internal',
  '      senders: ["*"]',
  `      recipients: [${[0, 2, 4, 6, 8].map((d) => `"*${d}user@bench.test"`).join(', ')}]`,
  '      sign: force',
  '      encrypt: force',
  '      method: smime',
];

const env = (k: string, d: string) => process.env[k]?.trim() || d;
const int = (k: string, d: number) => {
  const v = Number(env(k, String(d)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`${k} must be a number >= 0`);
  return Math.floor(v);
};
const list = (k: string, d: string) => env(k, d).split(',').map((s) => s.trim()).filter(Boolean);

const SEAL = env('BENCH_SEAL', '0') !== '0';
const settings = {
  seal: SEAL,
  mails: int('BENCH_MAILS', SEAL ? 1000 : 10_000),
  sessions: int('BENCH_SESSIONS', 20),
  size: int('BENCH_SIZE', 4096),
  loads: list('BENCH_LOADS', SEAL ? 'reuse' : 'connect,reuse') as LoadSpec['kind'][],
  peers: SEAL ? (['gatehouse', SEALED] as const) : (list('BENCH_PEERS', 'postfix,gatehouse') as Peer['name'][]),
  warmup: int('BENCH_WARMUP', 200),
  token: (SEAL ? 'rcpt' : env('BENCH_TOKEN', 'msgid')) as LoadSpec['token'],
  loadTimeoutMs: int('BENCH_LOAD_TIMEOUT_S', 600) * 1000,
  stallMs: int('BENCH_STALL_S', 60) * 1000,
  totalTimeoutMs: int('BENCH_TOTAL_TIMEOUT_S', 3000) * 1000,
  large: env('BENCH_LARGE', SEAL ? '0' : '1') !== '0',
  largePeers: list('BENCH_LARGE_PEERS', 'gatehouse,postfix'),
  largeMails: int('BENCH_LARGE_MAILS', 50),
  largeMiB: int('BENCH_LARGE_MIB', 10),
  largeTargetMB: int('BENCH_LARGE_TARGET_MB', 400),
  resultsDir: env('BENCH_RESULTS_DIR', join(REPO_ROOT, 'bench', 'results')),
};
for (const l of settings.loads) if (!(l in LOAD_LABEL)) throw new Error(`BENCH_LOADS: unknown load "${l}" (connect, reuse)`);
for (const p of settings.peers) if (p !== 'postfix' && p !== 'gatehouse' && p !== SEALED) throw new Error(`BENCH_PEERS: unknown peer "${p}"`);
if (settings.token !== 'msgid' && settings.token !== 'rcpt') throw new Error('BENCH_TOKEN must be msgid or rcpt');
if (settings.mails < 1) throw new Error('BENCH_MAILS must be >= 1');

const log = (s: string) => process.stdout.write(`${s}\n`);

function machine(tmp: string): Record<string, unknown> {
  const fsType = runSync('stat', ['-f', '-c', '%T', tmp], 5000).out.trim();
  let cpuModel = '';
  try {
    cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    /* not Linux */
  }
  return {
    hostname: os.hostname(),
    cpus: os.cpus().length,
    cpuModel,
    memTotalMB: Math.round(os.totalmem() / 1024 / 1024),
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    kernel: os.release(),
    node: process.version,
    postfix: runSync('/usr/sbin/postconf', ['-dh', 'mail_version'], 5000).out.trim(),
    smtpSource: SMTP_SOURCE,
    tmpDir: tmp,
    tmpFs: fsType,
  };
}

const NOTES: Record<string, string> = {
  sink: '',
  proxy:
    'latency = arrival at sink - 250 reply to end-of-DATA as seen by a loopback proxy (own process) in front of the peer; the proxy is in front of both peers alike, so its cost is in both figures ' +
    '(it timestamps the 250 when it reads it, before forwarding; its CPU per mail is in the JSON as proxyCpuMsPerMail). Negative values mean the mail reached the sink before the proxy read the 250: the peer relayed it before (or while) answering, or the proxy was scheduled late',
  token:
    settings.token === 'rcpt'
      ? 'mails matched by recipient: smtp-source -N numbers them (1user@bench.test, 2user@bench.test, ...), unique by construction'
      : 'mails matched by the Message-Id smtp-source writes (<pid.fd.remaining-count@host>, unique in practice, not by construction); a token seen on two transactions is left out of the latency figures ("ambiguous"); BENCH_TOKEN=rcpt uses smtp-source -N instead',
  cpu: 'CPU = utime+stime over the peer\'s process tree (live processes + the root\'s reaped children), from /proc/PID/stat, between start of load and last arrival',
  memory:
    'peak RSS: Gatehouse = VmHWM of its node process (reset before each load via /proc/PID/clear_refs); Postfix = max over 200 ms samples of the sum of VmRSS of master and all its children, which counts shared pages (libc, the Postfix libraries) once per process and so overstates; ' +
    '"peak PSS" = the same sampling with PSS (shared pages split among their users, from smaps_rollup, every 1 s), the fairer comparison of memory used',
  backlog:
    'when a peer accepts faster than it delivers, mails queue and the 250 -> arrival latency grows with the length of the run (BENCH_MAILS); compare accepted/s with delivered/s',
};

/** A self-signed RSA domain certificate for @bench.test, imported through the CLI before the load. */
function importDomainCertificate(dir: string): void {
  const pem = join(dir, 'bench-domain.pem');
  const key = join(dir, 'bench-domain.key');
  const mk = runSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', pem, '-days', '30', '-subj', '/CN=bench.test', '-addext', 'subjectAltName=email:bench@bench.test', '-addext', 'keyUsage=digitalSignature,keyEncipherment', '-addext', 'extendedKeyUsage=emailProtection'], 30_000);
  if (mk.status !== 0) throw new Error(`openssl req failed: ${mk.out}`);
  writeFileSync(pem, readFileSync(pem, 'utf8') + readFileSync(key, 'utf8'));
  const imp = runSync(process.execPath, [GATEHOUSE_BIN, 'keys', 'import', pem, '--address', '@bench.test', '--config', join(dir, 'gatehouse.yaml')], 60_000);
  if (imp.status !== 0) throw new Error(`gatehouse keys import failed: ${imp.out}`);
}

async function withPeer(name: Peer['name'] | typeof SEALED, tmp: string, sink: Agent): Promise<Peer> {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      if (name === 'postfix') return await startPostfix({ dir, smtpPort: await freePort(), sinkPort: sink.port });
      const sealed = name === SEALED;
      const peer = await startGatehouse({ dir, smtpPort: await freePort(), adminPort: await freePort(), sinkPort: sink.port, extraConfig: sealed ? SEAL_CONFIG : [] });
      if (sealed) {
        try {
          importDomainCertificate(dir);
        } catch (err) {
          await peer.stop();
          throw err;
        }
        peer.info.sealer = 'policy bench-half: S/MIME sign+encrypt for *[02468]user@bench.test; domain certificate @bench.test (self-signed RSA-2048)';
      }
      return peer;
    } catch (err) {
      // A port taken between freePort() and bind: try once more with new ports.
      if (attempt < 2 && /EADDRINUSE|in use/i.test((err as Error).message)) continue;
      throw err;
    }
  }
}

interface PeerReport {
  name: string;
  info?: Record<string, unknown>;
  error?: string;
  warmup?: LoadResult;
  loads: LoadResult[];
  large?: LargeResult;
}

/** Per load: sealed / plain delivered mails/s, the figure the 30% target is about. */
function sealRatios(peers: PeerReport[]): Record<string, number | null> {
  const plain = peers.find((p) => p.name === 'gatehouse');
  const sealed = peers.find((p) => p.name === SEALED);
  return Object.fromEntries(
    settings.loads.map((kind) => {
      const a = plain?.loads.find((l) => l.load === kind)?.deliveredPerSec;
      const b = sealed?.loads.find((l) => l.load === kind)?.deliveredPerSec;
      return [kind, a && b ? Math.round((b / a) * 1000) / 1000 : null];
    }),
  );
}

function printSealReport(peers: PeerReport[]): void {
  const plain = peers.find((p) => p.name === 'gatehouse');
  const sealed = peers.find((p) => p.name === SEALED);
  const ratios = sealRatios(peers);
  for (const kind of settings.loads) {
    const A = plain?.loads.find((l) => l.load === kind);
    const B = sealed?.loads.find((l) => l.load === kind);
    if (!A && !B) continue;
    log(`== seal cost, ${LOAD_LABEL[kind]}: no sealer policy vs. S/MIME sign+encrypt of half the mails`);
    const row = (label: string, f: (r: LoadResult) => number | null | undefined, digits = 1, showRatio = true): string[] => {
      const a = A ? f(A) : null;
      const b = B ? f(B) : null;
      return [label, fmt(a, digits), fmt(b, digits), showRatio ? ratio(b, a) : ''];
    };
    log(
      table([
        ['', 'no policy', 'half sealed', 'sealed/plain'],
        row('delivered mails/s (first connect -> last arrival)', (r) => r.deliveredPerSec),
        row('accepted mails/s (smtp-source wall time)', (r) => r.acceptedPerSec),
        row('latency 250 -> arrival p50 (ms)', (r) => r.latencyMs.p50, 2),
        row('latency 250 -> arrival p95 (ms)', (r) => r.latencyMs.p95, 2),
        row('accept latency "." -> 250 p50 (ms)', (r) => r.acceptLatencyMs.p50, 2),
        row('CPU per mail (ms)', (r) => r.cpuMsPerMail, 3),
        row('peak RSS (MB)', (r) => r.peakRssMB),
        row('mails arrived at sink (matched)', (r) => r.matched, 0, false),
        row('arrived sealed (> 1.5x the size sent)', (r) => r.grownArrivals, 0, false),
      ]),
    );
    const q = ratios[kind];
    log(`  target: delivered mails/s with half sealed >= 0.70 x without -> ${q === null ? 'n/a' : `${q.toFixed(3)} ${q >= 0.7 ? 'MET' : 'NOT MET'}`}`);
    log('');
  }
}

function printReport(peers: PeerReport[]): void {
  const get = (name: string) => peers.find((p) => p.name === name);
  const pf = get('postfix');
  const gh = get('gatehouse');
  log('');
  for (const kind of settings.loads) {
    const P = pf?.loads.find((l) => l.load === kind);
    const G = gh?.loads.find((l) => l.load === kind);
    if (!P && !G) continue;
    const cmd = (P ?? G)!.command.replace(/127\.0\.0\.1:\d+/, '<proxy>');
    log(`== ${LOAD_LABEL[kind]}: ${cmd}`);
    const row = (label: string, f: (r: LoadResult) => number | null | undefined, digits = 1, showRatio = true): string[] => {
      const a = P ? f(P) : null;
      const b = G ? f(G) : null;
      return [label, fmt(a, digits), fmt(b, digits), showRatio ? ratio(b, a) : ''];
    };
    const rows: string[][] = [
      ['', 'postfix', 'gatehouse', 'gatehouse/postfix'],
      row('accepted mails/s (smtp-source wall time)', (r) => r.acceptedPerSec),
      row('delivered mails/s (first connect -> last arrival)', (r) => r.deliveredPerSec),
      row('latency 250 -> arrival p50 (ms)', (r) => r.latencyMs.p50, 2),
      row('latency 250 -> arrival p99 (ms)', (r) => r.latencyMs.p99, 2),
      row('accept latency "." -> 250 p50 (ms)', (r) => r.acceptLatencyMs.p50, 2),
      row('accept latency "." -> 250 p99 (ms)', (r) => r.acceptLatencyMs.p99, 2),
      row('peak RSS (MB, see notes)', (r) => r.peakRssMB),
      row('peak PSS, sum over processes (MB)', (r) => r.treePssSumPeakMB),
      row('CPU per mail (ms)', (r) => r.cpuMsPerMail, 3),
      row('mails accepted', (r) => r.accepted, 0, false),
      row('mails arrived at sink (matched)', (r) => r.matched, 0, false),
      row('peer -> sink connections', (r) => r.sinkConnections, 0, false),
      row('ambiguous tokens (left out of latency)', (r) => r.ambiguous, 0, false),
      row('proxy CPU per mail (ms)', (r) => r.proxyCpuMsPerMail, 3, false),
      row('load average (1 min) at start', (r) => r.loadavgAtStart, 2, false),
    ];
    log(table(rows));
    for (const r of [P, G]) if (r && r.errors.length) log(`  ! ${r.peer}: ${r.errors.join('; ')}`);
    log('');
  }
  for (const p of peers) if (p.error) log(`!! ${p.name} not measured: ${p.error.split('\n')[0]}`);
  if (settings.seal) printSealReport(peers);
  const larges = peers.filter((p) => p.large).map((p) => p.large!);
  if (larges.length) {
    log(`== large mails: ${settings.largeMails} x ${settings.largeMiB} MiB, ${settings.largeMails} parallel connections (nodemailer)`);
    const rows = [
      ['', 'accepted', 'arrived', 'send s', 'to last arrival s', 'peak RSS MB', 'peak PSS sum MB', `< ${settings.largeTargetMB} MB`],
      ...larges.map((l) => [
        l.peer,
        String(l.accepted),
        `${l.arrived}${l.allArrived ? ' (all)' : ' (MISSING)'}`,
        fmt(l.sendWallMs === null ? null : l.sendWallMs / 1000),
        fmt(l.e2eWallMs === null ? null : l.e2eWallMs / 1000),
        fmt(l.peakRssMB),
        fmt(l.treePssSumPeakMB),
        l.peer === 'gatehouse' ? (l.underTarget === null ? 'n/a' : l.underTarget ? 'yes' : 'NO') : '-',
      ]),
    ];
    log(table(rows));
    for (const l of larges) if (l.errors.length) log(`  ! ${l.peer}: ${l.errors.slice(0, 5).join('; ')}`);
    log('');
  }
  log('Notes:');
  for (const v of Object.values(NOTES)) log(`  - ${v}`);
}

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    process.stderr.write(`\nbench: whole run exceeded ${settings.totalTimeoutMs / 1000} s, aborting\n`);
    cleanupAll();
    process.exit(2);
  }, settings.totalTimeoutMs);
  watchdog.unref();

  const tmp = mkdtempSync(join(os.tmpdir(), 'gatehouse-bench-'));
  chmodSync(tmp, 0o755); // Postfix daemons (mail_owner) must walk into it
  removeDirOnCleanup(tmp);
  const started = new Date();
  const mach = machine(tmp);
  log(`bench:smtp  ${started.toISOString()}  ${mach.cpus} CPUs, load ${(mach.loadavgAtStart as number[]).join(' ')}, node ${mach.node}, postfix ${mach.postfix}, temp dir on ${mach.tmpFs}`);
  log(
    `  ${settings.mails} mails x ${settings.size} B per load, ${settings.sessions} sessions, loads: ${settings.loads.join(', ')}; peers: ${settings.peers.join(', ')}; warm-up ${settings.warmup}; token ${settings.token}`,
  );

  const sink = await startSink();
  NOTES.sink =
    'recording sink = Node smtp-server in its own process (stores nothing; records Message-Id + CLOCK_MONOTONIC arrival time at the final "."), ' +
    (sink.greetingDelayMs
      ? "with smtp-server's stock 100 ms greeting hold-back: +100 ms on the first mail of every new peer->sink connection (see peer -> sink connections)"
      : "with smtp-server's 100 ms greeting hold-back patched out (BENCH_SINK_GREETING_DELAY=1 keeps it), since Postfix opens far more next-hop connections than Gatehouse");
  log(`  sink: smtp-server (Node) pid ${sink.pid} on 127.0.0.1:${sink.port}, greeting delay ${sink.greetingDelayMs ?? 0} ms`);
  const reports: PeerReport[] = [];

  for (const name of settings.peers) {
    const rep: PeerReport = { name, loads: [] };
    reports.push(rep);
    let peer: Peer | undefined;
    let proxy: Agent | undefined;
    try {
      log(`\n-- ${name}: starting`);
      peer = await withPeer(name, tmp, sink);
      rep.info = peer.info;
      proxy = await startProxy(peer.smtpPort);
      log(`  ${name} ready on 127.0.0.1:${peer.smtpPort} (pid ${peer.rootPid}); proxy pid ${proxy.pid} on 127.0.0.1:${proxy.port}`);
      const spec = (kind: LoadSpec['kind'], mails: number): LoadSpec => ({
        kind,
        mails,
        sessions: settings.sessions,
        size: settings.size,
        token: settings.token,
        timeoutMs: settings.loadTimeoutMs,
        stallMs: settings.stallMs,
      });
      if (settings.warmup > 0) {
        rep.warmup = await runLoad(peer, proxy, sink, spec('reuse', settings.warmup), (s) => log(`${s} [warm-up]`));
        await sleep(1000);
      }
      for (const kind of settings.loads) {
        const r = await runLoad(peer, proxy, sink, spec(kind, settings.mails), log);
        rep.loads.push(r);
        log(
          `    ${r.acceptedPerSec} accepted/s, ${r.deliveredPerSec} delivered/s, latency p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms, peak RSS ${r.peakRssMB} MB, CPU ${r.cpuMsPerMail} ms/mail${r.errors.length ? `  ! ${r.errors.join('; ')}` : ''}`,
        );
        if (r.errors.length) log(`    last log lines of ${name}:\n${peer.logTail(10).replace(/^/gm, '      ')}`);
        await sleep(2000);
      }
      if (settings.large && settings.largePeers.includes(name)) {
        rep.large = await runLargeCheck(
          peer,
          sink,
          { mails: settings.largeMails, sizeMiB: settings.largeMiB, timeoutMs: settings.loadTimeoutMs, targetMB: settings.largeTargetMB },
          log,
        );
        const l = rep.large;
        log(`    ${l.arrived}/${l.mails} arrived, peak RSS ${l.peakRssMB} MB${l.errors.length ? `  ! ${l.errors.slice(0, 3).join('; ')}` : ''}`);
      }
    } catch (err) {
      rep.error = (err as Error).message;
      log(`  !! ${name}: ${rep.error}`);
    } finally {
      if (proxy) await proxy.stop();
      if (peer) {
        log(`  ${name}: stopping`);
        await peer.stop();
      }
    }
  }
  await sink.stop();

  printReport(reports);

  const result = {
    benchmark: 'smtp',
    started: started.toISOString(),
    finished: new Date().toISOString(),
    settings: { ...settings, resultsDir: undefined },
    machine: mach,
    notes: NOTES,
    peers: reports,
    ...(settings.seal ? { sealRatios: { what: 'half sealed / no policy, delivered mails/s (target >= 0.7)', ...sealRatios(reports) } } : {}),
    ratios: Object.fromEntries(
      settings.loads.map((kind) => {
        const P = reports.find((p) => p.name === 'postfix')?.loads.find((l) => l.load === kind);
        const G = reports.find((p) => p.name === 'gatehouse')?.loads.find((l) => l.load === kind);
        const q = (f: (r: LoadResult) => number | null) => (P && G && f(P)! > 0 && f(G)! > 0 ? Math.round((f(G)! / f(P)!) * 1000) / 1000 : null);
        return [
          kind,
          {
            what: 'gatehouse / postfix',
            acceptedPerSec: q((r) => r.acceptedPerSec),
            deliveredPerSec: q((r) => r.deliveredPerSec),
            latencyP50: q((r) => r.latencyMs.p50),
            latencyP99: q((r) => r.latencyMs.p99),
            peakRss: q((r) => r.peakRssMB),
            cpuPerMail: q((r) => r.cpuMsPerMail),
          },
        ];
      }),
    ),
  };
  mkdirSync(settings.resultsDir, { recursive: true });
  const file = join(settings.resultsDir, `smtp-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  log(`\nresults: ${relative(process.cwd(), file) || file}`);

  const failed = reports.some((p) => p.error || p.loads.some((l) => !l.ok) || (p.large && !p.large.allArrived));
  return failed ? 1 : 0;
}

main()
  .then((code) => {
    cleanupAll();
    process.exit(code);
  })
  .catch((err) => {
    process.stderr.write(`bench:smtp failed: ${(err as Error).stack ?? err}\n`);
    cleanupAll();
    process.exit(1);
  });
