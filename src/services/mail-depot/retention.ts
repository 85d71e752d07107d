// Retention and legal holds. The expiry job deletes each message whose retention has ended and
// that no legal hold covers (by message, or by a query that finds it — mail archived after the
// hold was placed included). Each deletion is written to the compliance log first, then removed
// with a tombstone in the archive's deletion chain, so `archive verify` can tell it from
// tampering. Holds and the job take turns (one lock in this process; across cluster nodes the
// store refuses a deletion when a hold was placed since the run read the holds): a hold placed
// during a run counts at once.
import { randomBytes } from 'node:crypto';
import type { ArchiveDeletion, ArchiveHold, ArchiveStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { GENESIS_HASH } from '../compliance-log/hash-chain.ts';
import { ControlError } from '../system-manager/control.ts';
import { archiveDeletionHash } from './archive-chain.ts';
import { parseQuery, ArchiveQueryError } from './query.ts';

const PAGE = 500;

export interface ExpiryReport {
  /** Messages whose retention had ended. */
  expired: number;
  deleted: number;
  /** Expired, but kept by a legal hold. */
  held: number;
  /** Set when the run stopped because a legal hold was placed while it ran (on another node). */
  stoppedByNewHold?: boolean;
}

export interface NewHold {
  archiveId?: string;
  query?: string;
  reason: string;
}

export interface RetentionDeps {
  store: ArchiveStore;
  compliance: ComplianceRecorder;
  now?: () => number;
}

export class ArchiveRetention {
  private turn: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly d: RetentionDeps) {
    this.now = d.now ?? Date.now;
  }

  /** Runs `fn` after every earlier hold change or expiry run has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  addHold(h: NewHold, actor: string): Promise<ArchiveHold> {
    return this.exclusive(async () => {
      const reason = h.reason.trim();
      if (!reason) throw new ControlError('HOLD_INVALID', 'a legal hold needs a reason');
      if ((h.archiveId === undefined) === (h.query === undefined)) throw new ControlError('HOLD_INVALID', 'a legal hold names either one archived message or a query');
      if (h.archiveId !== undefined && !(await this.d.store.get(h.archiveId))) throw new ControlError('HOLD_INVALID', `no archived message with id "${h.archiveId}"`);
      if (h.query !== undefined) {
        if (!h.query.trim()) throw new ControlError('HOLD_INVALID', 'an empty query would hold the whole archive; name the mail it is for');
        try {
          parseQuery(h.query);
        } catch (err) {
          if (err instanceof ArchiveQueryError) throw new ControlError('HOLD_INVALID', err.message);
          throw err;
        }
      }
      const hold = { id: `H${randomBytes(8).toString('hex').toUpperCase()}`, archiveId: h.archiveId ?? null, query: h.query ?? null, reason, createdBy: actor, createdAt: this.now() };
      // Recorded first: a hold that is in force is always in the compliance log.
      await this.d.compliance.record({ category: 'legal-hold', action: 'hold.add', actor, subject: hold.id, detail: { archiveId: hold.archiveId, query: hold.query, reason } });
      return this.d.store.addHold(hold);
    });
  }

  holds(withRemoved = false): Promise<ArchiveHold[]> {
    return this.d.store.holds(withRemoved);
  }

  removeHold(id: string, actor: string): Promise<ArchiveHold> {
    return this.exclusive(async () => {
      const active = (await this.d.store.holds()).find((h) => h.id === id);
      if (!active) throw new ControlError('HOLD_NOT_FOUND', `no active legal hold with id "${id}"`);
      await this.d.compliance.record({ category: 'legal-hold', action: 'hold.remove', actor, subject: id, detail: { archiveId: active.archiveId, query: active.query } });
      const removed = await this.d.store.removeHold(id, actor, this.now());
      if (!removed) throw new ControlError('HOLD_NOT_FOUND', `no active legal hold with id "${id}"`);
      return removed;
    });
  }

  /** Deletes every expired message no hold covers; `actor` is "mail-depot" for the periodic run. */
  expire(actor: string): Promise<ExpiryReport> {
    return this.exclusive(async () => {
      const now = this.now();
      const report: ExpiryReport = { expired: 0, deleted: 0, held: 0 };
      // Every hold ever placed, counted: remove() refuses when another was placed since (on this
      // or another node), so a hold always counts from the moment it is in force.
      const holdsPlaced = (await this.d.store.holds(true)).length;
      const holds = await this.d.store.holds();
      const byMessage = new Set(holds.filter((h) => h.archiveId !== null).map((h) => h.archiveId!));
      const byQuery = holds.filter((h) => h.query !== null).map((h) => parseQuery(h.query!));
      pages: for (let after = 0; ; ) {
        const page = await this.d.store.scanExpired(now, after, PAGE);
        if (!page.length) break;
        after = page[page.length - 1].pos;
        const ids = page.map((p) => p.record.id);
        const held = new Set(ids.filter((id) => byMessage.has(id)));
        for (const q of byQuery) {
          for (const m of (await this.d.store.search({ ...q, ids, offset: 0, limit: ids.length })).messages) held.add(m.id);
        }
        report.expired += page.length;
        report.held += held.size;
        for (const { record: m } of page) {
          if (held.has(m.id)) continue;
          await this.d.compliance.record({
            category: 'deletion',
            action: 'archive.delete',
            actor,
            subject: m.id,
            detail: { contentHash: m.contentHash, archivedAt: m.archivedAt, retainUntil: m.retainUntil, reason: 'retention' },
          });
          const gone = await this.d.store.remove(m.id, now, (last, cur) => deletion(last, cur, now, actor), holdsPlaced);
          if (gone) {
            report.deleted++;
            continue;
          }
          await this.d.compliance.record({ category: 'deletion', action: 'archive.delete-cancelled', actor, subject: m.id });
          // A hold placed since this run read the holds (on another node): stop here; the next
          // run applies it.
          if ((await this.d.store.holds(true)).length !== holdsPlaced) {
            report.stoppedByNewHold = true;
            break pages;
          }
        }
        if (page.length < PAGE) break;
      }
      if (report.expired || actor !== 'mail-depot') {
        await this.d.compliance.record({ category: 'deletion', action: 'archive.expire', actor, detail: { ...report } });
      }
      return report;
    });
  }
}

function deletion(
  last: { seq: number; hash: string } | null,
  m: { id: string; contentHash: string; archivedAt: number; retainUntil: number },
  at: number,
  actor: string,
): ArchiveDeletion {
  const d = {
    seq: (last?.seq ?? 0) + 1,
    at,
    archiveId: m.id,
    contentHash: m.contentHash,
    archivedAt: m.archivedAt,
    retainUntil: m.retainUntil,
    reason: 'retention',
    actor,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  return { ...d, hash: archiveDeletionHash(d) };
}
