// What the admin plane may do with the compliance log: read it (newest first) and verify its
// chain. A verification is itself recorded, with its outcome, after the walk.
import type { ComplianceFilter } from '../../store/store.ts';
import type { ChainReport } from './hash-chain.ts';
import type { ComplianceEntry, ComplianceLog } from './index.ts';

export interface ComplianceControl {
  list(f: ComplianceFilter): Promise<ComplianceEntry[]>;
  verify(actor: string): Promise<ChainReport>;
}

export function createComplianceControl(log: ComplianceLog): ComplianceControl {
  return {
    list: (f) => log.list(f),
    async verify(actor) {
      const r = await log.verify();
      await log.record({
        category: 'admin',
        action: 'compliance.verify',
        actor,
        detail: { ok: r.ok, records: r.count, problems: r.problems.length, headSeq: r.head?.seq ?? 0 },
      });
      return r;
    },
  };
}
