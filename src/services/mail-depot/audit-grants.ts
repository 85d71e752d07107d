// Audit grants: an admin grants an auditor a scope of the archive — a query and a time window
// of message dates — for a limited time (the audit session). Outside a grant in force an
// auditor sees nothing. Grants are kept in the settings (a handful at a time); every grant and
// revocation is in the compliance log before it takes effect.
import { randomBytes } from 'node:crypto';
import type { SettingsStore } from '../../store/store.ts';
import type { ComplianceRecorder } from '../compliance-log/recorder.ts';
import { ControlError } from '../system-manager/control.ts';
import { parseQuery, ArchiveQueryError } from './query.ts';

const KEY = 'archive.auditGrants';
/** Ended grants are listed for this long, then dropped (the compliance log keeps them). */
const KEEP_ENDED_MS = 90 * 86_400_000;

export interface AuditGrant {
  id: string;
  /** User name of the auditor. */
  auditor: string;
  /** Archive query the auditor's searches are ANDed with ("" for every mail in the window). */
  query: string;
  /** Window of message dates, ms: from <= date < until. */
  from: number;
  until: number;
  /** The session ends at this time. */
  expiresAt: number;
  createdBy: string;
  createdAt: number;
  revokedBy: string | null;
  revokedAt: number | null;
}

export type NewAuditGrant = Pick<AuditGrant, 'auditor' | 'query' | 'from' | 'until' | 'expiresAt'>;

export class AuditGrants {
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: SettingsStore,
    private readonly compliance: ComplianceRecorder,
    private readonly now: () => number = Date.now,
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async all(): Promise<AuditGrant[]> {
    return (await this.settings.get<AuditGrant[]>(KEY)) ?? [];
  }

  private inForce(g: AuditGrant, at: number): boolean {
    return g.revokedAt === null && g.expiresAt > at;
  }

  grant(g: NewAuditGrant, actor: string): Promise<AuditGrant> {
    return this.exclusive(async () => {
      const at = this.now();
      const invalid = (m: string) => new ControlError('AUDIT_GRANT_INVALID', m);
      if (!g.auditor.trim()) throw invalid('name the auditor');
      if (!(g.from < g.until)) throw invalid('the time window must start before it ends');
      if (!(g.expiresAt > at)) throw invalid('the grant must end in the future');
      try {
        parseQuery(g.query);
      } catch (err) {
        if (err instanceof ArchiveQueryError) throw invalid(err.message);
        throw err;
      }
      const grant: AuditGrant = { id: `G${randomBytes(8).toString('hex').toUpperCase()}`, ...g, createdBy: actor, createdAt: at, revokedBy: null, revokedAt: null };
      await this.compliance.record({
        category: 'archive',
        action: 'audit.grant',
        actor,
        subject: grant.id,
        detail: { auditor: g.auditor, query: g.query, from: g.from, until: g.until, expiresAt: g.expiresAt },
      });
      const kept = (await this.all()).filter((x) => this.inForce(x, at) || (x.revokedAt ?? x.expiresAt) > at - KEEP_ENDED_MS);
      await this.settings.set(KEY, [...kept, grant]);
      return grant;
    });
  }

  /** Grants, oldest first: those in force, or every one kept when `withEnded`; one auditor's when named. */
  async list(o: { auditor?: string; withEnded?: boolean } = {}): Promise<AuditGrant[]> {
    const at = this.now();
    return (await this.all()).filter((g) => (o.withEnded || this.inForce(g, at)) && (!o.auditor || g.auditor === o.auditor));
  }

  revoke(id: string, actor: string): Promise<AuditGrant> {
    return this.exclusive(async () => {
      const at = this.now();
      const all = await this.all();
      const g = all.find((x) => x.id === id && this.inForce(x, at));
      if (!g) throw new ControlError('AUDIT_GRANT_NOT_FOUND', `no audit grant in force with id "${id}"`);
      await this.compliance.record({ category: 'archive', action: 'audit.revoke', actor, subject: id, detail: { auditor: g.auditor } });
      const revoked = { ...g, revokedBy: actor, revokedAt: at };
      await this.settings.set(KEY, all.map((x) => (x.id === id ? revoked : x)));
      return revoked;
    });
  }

  /**
   * The grant an auditor's request runs under: the one named, or the only one in force; null
   * when none is in force (the auditor sees nothing). Several in force and none named: an error.
   */
  async inForceFor(auditor: string, grantId?: string): Promise<AuditGrant | null> {
    const mine = await this.list({ auditor });
    if (grantId) {
      const g = mine.find((x) => x.id === grantId);
      if (!g) throw new ControlError('AUDIT_GRANT_NOT_FOUND', `no audit grant in force with id "${grantId}" for ${auditor}`);
      return g;
    }
    if (mine.length > 1) throw new ControlError('AUDIT_GRANT_INVALID', `${auditor} has ${mine.length} audit grants in force; name one (grant=${mine.map((g) => g.id).join(' or ')})`);
    return mine[0] ?? null;
  }
}
