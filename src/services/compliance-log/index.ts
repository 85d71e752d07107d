// compliance-log: the append-only, hash-chained record of compliance-relevant events. Each
// record's hash is SHA-256 over its canonical form (seq, time, category, action, actor, subject,
// detail and the previous record's hash); verify() walks the chain and names every record that
// was changed, removed or moved. Records are appended whether or not the service runs: a
// stopped service must not open a hole in the record. Start checks the head of the chain.
import type { ComplianceFilter, ComplianceRecord, ComplianceStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import type { ComplianceCategory, ComplianceEvent, ComplianceRecorder } from './recorder.ts';
import { canonicalJson, ChainVerifier, GENESIS_HASH, sha256Hex, type ChainReport } from './hash-chain.ts';

export const COMPLIANCE_CATEGORIES: readonly ComplianceCategory[] = [
  'mail',
  'archive',
  'export',
  'deletion',
  'legal-hold',
  'policy',
  'keys',
  'service',
  'login',
  'admin',
  'remote-support',
];

/** A record as the API shows it: the detail parsed. */
export interface ComplianceEntry extends Omit<ComplianceRecord, 'detail'> {
  detail: Record<string, unknown> | null;
}

/** The hash of a record: over everything in it but the hash itself. */
export function complianceHash(r: Omit<ComplianceRecord, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      seq: r.seq,
      at: r.at,
      category: r.category,
      action: r.action,
      actor: r.actor,
      subject: r.subject,
      detail: r.detail,
      prev: r.prevHash,
    }),
  );
}

const SCAN_PAGE = 2000;

export class ComplianceLog implements Service, ComplianceRecorder {
  readonly name = 'compliance-log' as const;
  readonly kind = 'infrastructure' as const;
  readonly description = 'Append-only, hash-chained record of every compliance-relevant event';
  readonly essential = true;
  readonly deactivatable = false;
  readonly mailHandling = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: ComplianceStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  configured(): boolean {
    return true;
  }

  /** Checks the newest record against its hash, so a tampered head shows at once in the log. */
  async start(): Promise<void> {
    const [head] = await this.store.list({ limit: 1 });
    if (head && complianceHash(head) !== head.hash) {
      this.log.error(`compliance log record ${head.seq} does not match its hash; run "gatehouse compliance verify"`);
    }
  }

  async stop(): Promise<void> {
    await this.idle();
  }

  record(e: ComplianceEvent): Promise<void> {
    const detail = e.detail && Object.keys(e.detail).length ? canonicalJson(e.detail) : null;
    const at = this.now();
    const p = this.store
      .append((last) => {
        const rec = {
          seq: (last?.seq ?? 0) + 1,
          at,
          category: e.category,
          action: e.action,
          actor: e.actor,
          subject: e.subject ?? null,
          detail,
          prevHash: last?.hash ?? GENESIS_HASH,
        };
        return { ...rec, hash: complianceHash(rec) };
      })
      .then(() => undefined);
    this.pending.add(p);
    void p.catch(() => undefined).finally(() => this.pending.delete(p));
    return p;
  }

  /** Records without failing the caller: for events that happen anyway (service states). */
  recordQuietly(e: ComplianceEvent): void {
    this.record(e).catch((err: Error) => this.log.error(`could not write the compliance log: ${err.message}`, { action: e.action }));
  }

  /** Resolves once every record asked for so far is written (before the store closes). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async list(f: ComplianceFilter): Promise<ComplianceEntry[]> {
    const rows = await this.store.list(f);
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }

  async verify(): Promise<ChainReport> {
    const v = new ChainVerifier('record');
    let after = 0;
    for (;;) {
      const page = await this.store.scan(after, SCAN_PAGE);
      for (const { pos, record } of page) {
        v.add({ seq: record.seq, prevHash: record.prevHash, hash: record.hash, computed: complianceHash(record) });
        after = pos;
      }
      if (page.length < SCAN_PAGE) break;
    }
    return v.finish();
  }
}
