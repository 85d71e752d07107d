// Archive search latency, PostgreSQL (tsvector + GIN) against SQLite (FTS5), on the same
// generated mail: `node --import tsx src/store/postgres/archive-search-bench.ts [messages]`.
// Prints p50/p95 per query kind and overall, one page of 50 newest first plus the total, as the
// console's archive search asks. Starts its own throwaway PostgreSQL; nothing else is touched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseQuery } from '../../services/mail-depot/query.ts';
import { openSqliteArchive } from '../sqlite/archive-store.ts';
import type { ArchiveEntry, ArchiveStore, NewArchivedMessage } from '../store.ts';
import { startPostgres } from '../../../test/helpers/postgres.ts';
import { openPostgresStore } from './open.ts';

const COUNT = Number(process.argv[2] ?? 20_000);
const RUNS = 40;

// Deterministic generator (mulberry32), Zipf-like word choice from a made-up vocabulary.
let seed = 42;
function rnd(): number {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'si', 'de', 'po', 'an', 'el', 'or', 'us', 'ix', 'be', 'gu', 'fa'];
const VOCAB = Array.from({ length: 8000 }, () => Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => SYL[Math.floor(rnd() * SYL.length)]).join(''));
const word = () => VOCAB[Math.floor(VOCAB.length * Math.pow(rnd(), 2.5))];
const words = (n: number) => Array.from({ length: n }, word).join(' ');
const PEOPLE = Array.from({ length: 300 }, (_, i) => `${VOCAB[i * 7]}.${VOCAB[i * 11]}@${['example.org', 'example.test', 'partner.test', 'vendor.test'][i % 4]}`);
const person = () => PEOPLE[Math.floor(PEOPLE.length * Math.pow(rnd(), 1.5))];
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

export function mail(i: number): NewArchivedMessage {
  const from = person();
  const to = person();
  const subject = words(3 + Math.floor(rnd() * 5));
  const body = words(40 + Math.floor(rnd() * 160));
  const attachments = rnd() < 0.15 ? [`${word()}-${word()}.${['pdf', 'xlsx', 'docx'][i % 3]}`] : [];
  const id = `B${String(i).padStart(19, '0')}`;
  return {
    id,
    contentHash: `bench-${i}`,
    size: body.length + 400,
    storedSize: body.length,
    compression: 'gzip',
    keyId: 'k',
    date: START + Math.floor(rnd() * 730 * DAY),
    from,
    to,
    cc: '',
    subject,
    messageId: `<${id}@bench>`,
    attachments,
    retainUntil: START + 3650 * DAY,
    addresses: [from, to],
    blob: { inline: Buffer.from(body.slice(0, 64)) },
    index: { sender: from, recipients: to, subject, body, attachments: attachments.join(' '), messageId: `<${id}@bench>` },
  };
}

export const entry = (last: { seq: number; hash: string } | null, archiveId: string): ArchiveEntry => ({
  seq: (last?.seq ?? 0) + 1,
  at: Date.now(),
  archiveId,
  contentHash: 'h',
  mailId: null,
  receivedAt: Date.now(),
  direction: 'inbound',
  source: 'import',
  sender: '',
  recipients: [],
  clientIp: null,
  trace: null,
  prevHash: last?.hash ?? 'genesis',
  hash: `h${(last?.seq ?? 0) + 1}`,
});

async function load(store: ArchiveStore, parallel: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < COUNT) {
        const i = next++;
        await store.archive({ message: mail(i), entry });
      }
    }),
  );
  return performance.now() - t0;
}

/** Query kinds, each a generator of a concrete query. */
export const KINDS: Record<string, () => string> = {
  'browse (no terms)': () => '',
  'common word': () => VOCAB[Math.floor(rnd() * 20)],
  'rare word': () => VOCAB[2000 + Math.floor(rnd() * 4000)],
  'two words': () => `${VOCAB[Math.floor(rnd() * 50)]} ${VOCAB[Math.floor(rnd() * 300)]}`,
  phrase: () => `"${VOCAB[Math.floor(rnd() * 10)]} ${VOCAB[Math.floor(rnd() * 10)]}"`,
  'from:': () => `from:${person().split('@')[0]}`,
  'subject: + word': () => `subject:${VOCAB[Math.floor(rnd() * 100)]} ${VOCAB[Math.floor(rnd() * 30)]}`,
  'word -word': () => `${VOCAB[Math.floor(rnd() * 30)]} -${VOCAB[Math.floor(rnd() * 30)]}`,
  'has:attachment word': () => `has:attachment ${VOCAB[Math.floor(rnd() * 50)]}`,
  'word + date range': () => `${VOCAB[Math.floor(rnd() * 50)]} after:2024-03-01 before:2024-06-01`,
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function measure(store: ArchiveStore, queries: [string, string][]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [, q] of queries.slice(0, 20)) await store.search({ ...parseQuery(q), offset: 0, limit: 50 }); // warm up
  for (const [kind, q] of queries) {
    const t0 = performance.now();
    await store.search({ ...parseQuery(q), offset: 0, limit: 50 });
    const ms = performance.now() - t0;
    out.set(kind, [...(out.get(kind) ?? []), ms]);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-archive-bench-'));
  // Loading speed is not what is measured: no fsync on the throwaway server.
  const server = await startPostgres({ settings: { fsync: 'off', synchronous_commit: 'off' } });
  const sqlite = openSqliteArchive(dir);
  const pg = await openPostgresStore({ url: await server.createDatabase(), nodeId: 'bench', poolSize: 8 });
  try {
    console.log(`loading ${COUNT} messages ...`);
    const ls = await load(sqlite, 64);
    const lp = await load(pg.archive, 8);
    await pg.db.query('VACUUM ANALYZE');
    console.log(`load: sqlite ${(ls / 1000).toFixed(1)} s, postgres ${(lp / 1000).toFixed(1)} s (postgres without fsync)`);
    const queries: [string, string][] = [];
    for (let r = 0; r < RUNS; r++) for (const [k, g] of Object.entries(KINDS)) queries.push([k, g()]);
    const a = await measure(sqlite, queries);
    const b = await measure(pg.archive, queries);
    const row = (k: string, x: number[], y: number[]) =>
      console.log(`${k.padEnd(22)} sqlite p50 ${pct(x, 50).toFixed(2).padStart(7)} p95 ${pct(x, 95).toFixed(2).padStart(7)} | postgres p50 ${pct(y, 50).toFixed(2).padStart(7)} p95 ${pct(y, 95).toFixed(2).padStart(7)} ms`);
    for (const k of Object.keys(KINDS)) row(k, a.get(k)!, b.get(k)!);
    row('ALL', [...a.values()].flat(), [...b.values()].flat());
  } finally {
    await pg.close();
    await sqlite.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
