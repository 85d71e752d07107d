// The compliance log on PostgreSQL (mirrors sqlite/compliance-store.ts). append() reads the last
// record and inserts the next under a cluster-wide advisory lock in one transaction, so no two
// nodes chain to the same predecessor; it resolves after COMMIT. Rows are never updated.
import type { ComplianceFilter, ComplianceRecord, ComplianceStore, StoredLink } from '../store.ts';
import { toComplianceRecord, type ComplianceRow } from '../rows/compliance-row.ts';
import type { PgDatabase } from './database.ts';
import { LOCK, lockChain } from './chain-lock.ts';

export class PgComplianceStore implements ComplianceStore {
  constructor(private readonly db: PgDatabase) {}

  append(build: (last: { seq: number; hash: string } | null) => ComplianceRecord): Promise<ComplianceRecord> {
    return this.db.tx(async (c) => {
      await lockChain(c, LOCK.compliance);
      const r = (await c.query<{ seq: number; hash: string }>('SELECT seq, hash FROM compliance_log ORDER BY seq DESC LIMIT 1')).rows[0];
      const rec = build(r ? { seq: Number(r.seq), hash: r.hash } : null);
      await c.query(
        `INSERT INTO compliance_log (seq, at, category, action, actor, subject, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [rec.seq, rec.at, rec.category, rec.action, rec.actor, rec.subject, rec.detail, rec.prevHash, rec.hash],
      );
      return rec;
    });
  }

  async list(f: ComplianceFilter): Promise<ComplianceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (cond: string, v: unknown) => (args.push(v), where.push(cond.replace('?', `$${args.length}`)));
    if (f.category) add('category = ?', f.category);
    if (f.since !== undefined) add('at >= ?', f.since);
    if (f.until !== undefined) add('at <= ?', f.until);
    if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
    args.push(Math.min(f.limit ?? 100, 5000));
    const rows = await this.db.query<ComplianceRow>(
      `SELECT * FROM compliance_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq DESC LIMIT $${args.length}`,
      args,
    );
    return rows.rows.map(toComplianceRecord);
  }

  async scan(after: number, limit: number): Promise<StoredLink<ComplianceRecord>[]> {
    const rows = await this.db.query<ComplianceRow>('SELECT * FROM compliance_log WHERE pos > $1 ORDER BY pos LIMIT $2', [after, limit]);
    return rows.rows.map((r) => ({ pos: Number(r.pos), record: toComplianceRecord(r) }));
  }
}
