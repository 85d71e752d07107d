// `gatehouse migrate --from sqlite --to postgres`: copies a stopped single-node appliance (the
// SQLite databases and the body and archive files under dataDir) into an empty PostgreSQL
// schema, table for table (the two schemas have the same shape), in one transaction: the target
// holds everything or nothing. Promises: a target with any data is refused; leases are dropped
// (the appliance is stopped); identity sequences continue after the copied rows; counts are
// verified after the commit. SQLite's full-text index keeps no text, so the archive index is
// rebuilt from the stored mails (`indexDocument`, given by the caller: mail-depot knows how).
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { migrate as migrateSqlite } from './sqlite/migrate.ts';
import { FileBodyStore } from './files/body-files.ts';
import { PgDatabase } from './postgres/database.ts';
import { migratePostgres } from './postgres/migrate.ts';
import { ftsRow } from './postgres/archive-fts.ts';
import type { ArchiveIndexDocument } from './store.ts';

/** What the index rebuild gets of an archived message: its row and its first arrival's envelope. */
export interface ArchivedForIndex {
  id: string;
  contentHash: string;
  size: number;
  compression: string;
  keyId: string;
  sender: string;
  recipients: string[];
  /** The body part stored apart (body dedup): the mail is `blob`'s plaintext followed by this one's. */
  body?: { hash: string; size: number; compression: string; blob: Readable; dict: Buffer | null };
}

export interface MigrationOptions {
  dataDir: string;
  url: string;
  /** The full-text document of an archived message, read from its stored (sealed) blob. */
  indexDocument(m: ArchivedForIndex, blob: Readable): Promise<ArchiveIndexDocument>;
  onProgress?(p: { step: string; done: number; total: number }): void;
}

export interface MigrationStep {
  step: string;
  source: number;
  target: number;
}

export interface MigrationSummary {
  steps: MigrationStep[];
  ok: boolean;
  ms: number;
}

/** The target already holds data, or the source is not an appliance: nothing was written. */
export class MigrationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefused';
  }
}

/** Tables copied 1:1, in an order that satisfies the foreign keys. */
const CORE_TABLES = [
  'mails',
  'events',
  'logs',
  'settings',
  'pop3_uidls',
  'compliance_log',
  'bayes_tokens',
  'bayes_messages',
  'bayes_totals',
  'bayes_samples',
  'filter_lists',
  'fuzzy_prints',
  'fuzzy_hashes',
  'ciss_known',
  'ciss_challenges',
  'sealer_keys',
  'sealer_key_addresses',
  'users',
  'sessions',
  'api_tokens',
  'portal_messages',
  'portal_accounts',
];
const ARCHIVE_TABLES = ['archive_messages', 'archive_blobs', 'archive_entries', 'archive_holds', 'archive_deletions', 'archive_addresses', 'archive_bodies'];
/** Target tables that must be empty (bayes_totals holds its one row of zeros). */
const TARGET_TABLES = [...CORE_TABLES.filter((t) => t !== 'bayes_totals'), 'bodies', 'body_chunks', ...ARCHIVE_TABLES, 'archive_blob_chunks', 'archive_fts'];

const CHUNK = 1024 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;

type Row = Record<string, unknown>;

export async function migrateSqliteToPostgres(o: MigrationOptions): Promise<MigrationSummary> {
  const t0 = Date.now();
  const coreFile = join(o.dataDir, 'gatehouse.db');
  if (!existsSync(coreFile)) throw new MigrationRefused(`${coreFile} does not exist: no appliance data in ${o.dataDir}`);
  const archiveFile = join(o.dataDir, 'archive', 'archive.db');
  // Brought to the current schema first (what the appliance's next start would do).
  const core = new Database(coreFile);
  migrateSqlite(core);
  const archive = existsSync(archiveFile) ? new Database(archiveFile) : null;
  if (archive) migrateSqlite(archive, 'archive');
  const db = new PgDatabase({ url: o.url, max: 2 });
  const steps: MigrationStep[] = [];
  try {
    await migratePostgres(db);
    const c = await db.connect();
    try {
      await refuseNonEmpty(c);
      await c.query('BEGIN');
      const progress = (step: string, total: number) => (done: number) => o.onProgress?.({ step, done, total });
      for (const t of CORE_TABLES) {
        const n = await copyTable(core, c, t, progress(t, count(core, t)), t === 'mails' ? dropLease : undefined);
        steps.push({ step: t, source: n, target: 0 });
      }
      steps.push({ step: 'bodies', source: await copyBodies(core, c, new FileBodyStore(join(o.dataDir, 'queue')), o.onProgress), target: 0 });
      if (archive) {
        for (const t of ARCHIVE_TABLES) steps.push({ step: t, source: await copyTable(archive, c, t, progress(t, count(archive, t))), target: 0 });
        const files = new FileBodyStore(join(o.dataDir, 'archive'));
        steps.push({ step: 'archive blob files', source: await copyArchiveFiles(archive, c, files, o.onProgress), target: 0 });
        steps.push({ step: 'archive index', source: await rebuildIndex(archive, c, files, o), target: 0 });
      }
      await continueSequences(c, [...CORE_TABLES, ...(archive ? ARCHIVE_TABLES : [])]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
    // Verified after the commit, as another client would see it.
    for (const s of steps) s.target = await targetCount(db, s.step);
    return { steps, ok: steps.every((s) => s.source === s.target), ms: Date.now() - t0 };
  } finally {
    core.close();
    archive?.close();
    await db.close();
  }
}

function count(src: Database.Database, table: string): number {
  return (src.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

async function refuseNonEmpty(c: pg.PoolClient): Promise<void> {
  for (const t of TARGET_TABLES) {
    const r = await c.query(`SELECT EXISTS (SELECT 1 FROM ${t}) AS any`);
    if (r.rows[0].any) throw new MigrationRefused(`the PostgreSQL database is not empty (table ${t} has rows); migrate into a new, empty database`);
  }
  const b = await c.query<{ spam: string; ham: string }>('SELECT spam, ham FROM bayes_totals WHERE id = 1');
  if (b.rows[0] && (Number(b.rows[0].spam) || Number(b.rows[0].ham))) throw new MigrationRefused('the PostgreSQL database is not empty (bayes_totals); migrate into a new, empty database');
}

/** The appliance is stopped: a lease recorded in SQLite belongs to no one. */
function dropLease(r: Row): Row {
  return { ...r, lease_owner: null, lease_until: 0 };
}

async function columnsOf(c: pg.PoolClient, table: string): Promise<Set<string>> {
  const r = await c.query<{ column_name: string }>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table]);
  return new Set(r.rows.map((x) => x.column_name));
}

/** Copies every row of `table` in multi-row INSERTs; a source column the target lacks is an error. */
async function copyTable(src: Database.Database, c: pg.PoolClient, table: string, progress: (done: number) => void, map?: (r: Row) => Row): Promise<number> {
  const cols = (src.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((x) => x.name);
  const target = await columnsOf(c, table);
  const missing = cols.filter((x) => !target.has(x));
  if (missing.length) throw new Error(`table ${table}: PostgreSQL has no column ${missing.join(', ')} (the schemas differ; nothing was copied)`);
  const perBatch = Math.max(1, Math.min(500, Math.floor(30_000 / cols.length)));
  const upsert = table === 'bayes_totals' ? ' ON CONFLICT (id) DO UPDATE SET spam = excluded.spam, ham = excluded.ham' : '';
  let batch: Row[] = [];
  let bytes = 0;
  let done = 0;
  const flush = async () => {
    if (!batch.length) return;
    const values: unknown[] = [];
    const tuples = batch.map((r) => `(${cols.map((col) => `$${values.push(r[col])}`).join(', ')})`);
    await c.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${tuples.join(', ')}${upsert}`, values);
    done += batch.length;
    progress(done);
    batch = [];
    bytes = 0;
  };
  progress(0);
  for (const raw of src.prepare(`SELECT ${cols.join(', ')} FROM ${table}`).iterate() as IterableIterator<Row>) {
    const r = map ? map(raw) : raw;
    batch.push(r);
    for (const col of cols) {
      const v = r[col];
      bytes += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 8;
    }
    if (batch.length >= perBatch || bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return done;
}

/** Reads a stream in pieces of exactly `size` bytes (the last one shorter). */
async function* pieces(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    held.push(chunk);
    n += chunk.length;
    while (n >= size) {
      const all = Buffer.concat(held, n);
      yield all.subarray(0, size);
      held = n > size ? [all.subarray(size)] : [];
      n -= size;
    }
  }
  if (n > 0) yield Buffer.concat(held, n);
}

/** Queue bodies: SQLite rows (small ones) and files (large ones) into bodies + body_chunks. */
async function copyBodies(src: Database.Database, c: pg.PoolClient, files: FileBodyStore, onProgress: MigrationOptions['onProgress']): Promise<number> {
  const fileKeys = await files.keys();
  const total = count(src, 'bodies') + fileKeys.length;
  let done = 0;
  const now = Date.now();
  const put = async (key: string, data: AsyncIterable<Buffer>) => {
    let size = 0;
    let seq = 0;
    await c.query('INSERT INTO bodies (key, size, committed, created_at) VALUES ($1, 0, false, $2)', [key, now]);
    for await (const part of data) {
      await c.query('INSERT INTO body_chunks (key, seq, data) VALUES ($1, $2, $3)', [key, seq++, part]);
      size += part.length;
    }
    await c.query('UPDATE bodies SET size = $2, committed = true WHERE key = $1', [key, size]);
    onProgress?.({ step: 'bodies', done: ++done, total });
  };
  onProgress?.({ step: 'bodies', done: 0, total });
  for (const r of src.prepare('SELECT key, data FROM bodies').iterate() as IterableIterator<{ key: string; data: Buffer }>) {
    await put(r.key, pieces(Readable.from([r.data]), CHUNK));
  }
  for (const key of fileKeys) await put(key, pieces(files.open(key), CHUNK));
  return done;
}

/** Archive blobs kept as files (large mails) into archive_blob_chunks under their file key. */
async function copyArchiveFiles(src: Database.Database, c: pg.PoolClient, files: FileBodyStore, onProgress: MigrationOptions['onProgress']): Promise<number> {
  const keys = (src.prepare('SELECT blob_file FROM archive_messages WHERE blob_file IS NOT NULL ORDER BY pos').pluck().all() as string[]);
  let done = 0;
  onProgress?.({ step: 'archive blob files', done, total: keys.length });
  for (const key of keys) {
    let n = 0;
    for await (const part of pieces(files.open(key), CHUNK)) {
      await c.query('INSERT INTO archive_blob_chunks (blob_key, n, data, written_at) VALUES ($1, $2, $3, $4)', [key, n++, part, Date.now()]);
    }
    onProgress?.({ step: 'archive blob files', done: ++done, total: keys.length });
  }
  return done;
}

/** One index row per archived message, rebuilt from the stored mail and its first arrival. */
async function rebuildIndex(src: Database.Database, c: pg.PoolClient, files: FileBodyStore, o: MigrationOptions): Promise<number> {
  const total = count(src, 'archive_messages');
  const first = src.prepare('SELECT sender, recipients FROM archive_entries WHERE archive_id = ? ORDER BY seq LIMIT 1');
  const inline = src.prepare('SELECT data FROM archive_blobs WHERE pos = ?').pluck();
  const bodyOf = src.prepare('SELECT body_hash, size, compression, data, dict FROM archive_bodies WHERE pos = ?');
  type M = { pos: number; id: string; content_hash: string; size: number; compression: string; key_id: string; blob_file: string | null; body_pos: number | null };
  let done = 0;
  o.onProgress?.({ step: 'archive index', done, total });
  const rows = src.prepare('SELECT pos, id, content_hash, size, compression, key_id, blob_file, body_pos FROM archive_messages ORDER BY pos').all() as M[];
  for (const m of rows) {
    const e = first.get(m.id) as { sender: string; recipients: string } | undefined;
    const blob = m.blob_file ? files.open(m.blob_file) : Readable.from([inline.get(m.pos) as Buffer]);
    const b = m.body_pos === null ? undefined : (bodyOf.get(m.body_pos) as { body_hash: string; size: number; compression: string; data: Buffer; dict: Buffer | null } | undefined);
    const body = b && { hash: b.body_hash, size: b.size, compression: b.compression, blob: Readable.from([b.data]), dict: b.dict };
    const doc = await o.indexDocument(
      { id: m.id, contentHash: m.content_hash, size: m.size, compression: m.compression, keyId: m.key_id, sender: e?.sender ?? '', recipients: e ? (JSON.parse(e.recipients) as string[]) : [], ...(body ? { body } : {}) },
      blob,
    );
    await c.query(
      `INSERT INTO archive_fts (pos, sender, recipients, subject, body, attachments, message_id)
       VALUES ($1, $2::tsvector, $3::tsvector, $4::tsvector, $5::tsvector, $6::tsvector, $7::tsvector)`,
      [m.pos, ...ftsRow(doc)],
    );
    o.onProgress?.({ step: 'archive index', done: ++done, total });
  }
  return done;
}

/** Identity columns continue after the highest copied value. */
async function continueSequences(c: pg.PoolClient, tables: string[]): Promise<void> {
  const r = await c.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND is_identity = 'YES' AND table_name = ANY($1)`,
    [tables],
  );
  for (const { table_name: t, column_name: col } of r.rows) {
    await c.query(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(${col}) FROM ${t}), 0) + 1, false)`, [t, col]);
  }
}

async function targetCount(db: PgDatabase, step: string): Promise<number> {
  const q = (sql: string) => db.query<{ n: string }>(sql).then((r) => Number(r.rows[0].n));
  if (step === 'bodies') return q('SELECT count(*) AS n FROM bodies WHERE committed');
  if (step === 'archive blob files') return q('SELECT count(DISTINCT blob_key) AS n FROM archive_blob_chunks');
  if (step === 'archive index') return q('SELECT count(*) AS n FROM archive_fts');
  return q(`SELECT count(*) AS n FROM ${step}`);
}
