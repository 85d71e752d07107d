// The `compliance_log` row shape both backends share (sqlite/ and postgres/ compliance-store.ts)
// and its mapping to a ComplianceRecord; integers pass through Number() (a no-op on SQLite's numbers).
import type { ComplianceRecord } from '../store.ts';

export interface ComplianceRow {
  pos: number;
  seq: number;
  at: number;
  category: string;
  action: string;
  actor: string;
  subject: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

export const toComplianceRecord = (r: ComplianceRow): ComplianceRecord => ({
  seq: Number(r.seq),
  at: Number(r.at),
  category: r.category,
  action: r.action,
  actor: r.actor,
  subject: r.subject,
  detail: r.detail,
  prevHash: r.prev_hash,
  hash: r.hash,
});
