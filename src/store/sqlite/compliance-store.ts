// The compliance log of the embedded default: one row per record, appended in the write batch
// that computes its chain link (so no two records chain to the same predecessor), durable
// (fdatasync'd) before append() resolves. Rows are never updated or deleted by this code.
import type Database from 'better-sqlite3';
import type { ComplianceFilter, ComplianceRecord, ComplianceStore, StoredLink } from '../store.ts';
import { toComplianceRecord, type ComplianceRow } from '../rows/compliance-row.ts';
import type { WriteBatcher } from './write-batcher.ts';

export class SqliteComplianceStore implements ComplianceStore {
  private readonly st;
  constructor(
    private readonly db: Database.Database,
    private readonly writes: WriteBatcher,
  ) {
    this.st = {
      last: db.prepare('SELECT seq, hash FROM compliance_log ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare(
        `INSERT INTO compliance_log (seq, at, category, action, actor, subject, detail, prev_hash, hash)
         VALUES (@seq, @at, @category, @action, @actor, @subject, @detail, @prevHash, @hash)`,
      ),
      scan: db.prepare('SELECT * FROM compliance_log WHERE pos > ? ORDER BY pos LIMIT ?'),
    };
  }

  append(build: (last: { seq: number; hash: string } | null) => ComplianceRecord): Promise<ComplianceRecord> {
    return this.writes.run(() => {
      const last = (this.st.last.get() as { seq: number; hash: string } | undefined) ?? null;
      const rec = build(last);
      this.st.insert.run(rec);
      return rec;
    }, true);
  }

  async list(f: ComplianceFilter): Promise<ComplianceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.category) (where.push('category = ?'), args.push(f.category));
    if (f.since !== undefined) (where.push('at >= ?'), args.push(f.since));
    if (f.until !== undefined) (where.push('at <= ?'), args.push(f.until));
    if (f.beforeSeq !== undefined) (where.push('seq < ?'), args.push(f.beforeSeq));
    args.push(Math.min(f.limit ?? 100, 5000));
    const rows = this.db
      .prepare(`SELECT * FROM compliance_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT ?`)
      .all(...args) as ComplianceRow[];
    return rows.map(toComplianceRecord);
  }

  async scan(after: number, limit: number): Promise<StoredLink<ComplianceRecord>[]> {
    return (this.st.scan.all(after, limit) as ComplianceRow[]).map((r) => ({ pos: r.pos, record: toComplianceRecord(r) }));
  }
}
