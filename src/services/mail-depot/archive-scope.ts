// What part of the archive a caller may see. An admin sees all of it (no scope). A user sees
// only mail one of their addresses is a participant of (From/To/Cc or envelope, exact). An
// auditor sees only what an audit grant allows: the grant's query and time window, ANDed with
// their own query — and without a grant in force, nothing.
import type { ArchiveSearch } from '../../store/store.ts';
import type { ParsedQuery } from './query.ts';
import type { AuditGrant } from './audit-grants.ts';

export type ArchiveScope =
  | { kind: 'own'; user: string; addresses: string[] }
  | { kind: 'audit'; auditor: string; grant: AuditGrant | null; grantQuery: ParsedQuery | null };

/** The search narrowed to the scope, or null when the scope lets nothing through. */
export function narrow(q: ParsedQuery, scope: ArchiveScope | undefined): Omit<ArchiveSearch, 'offset' | 'limit'> | null {
  if (!scope) return q;
  if (scope.kind === 'own') {
    const addresses = scope.addresses.map((a) => a.trim().toLowerCase()).filter((a) => a.includes('@'));
    return addresses.length ? { ...q, participants: addresses } : null;
  }
  const g = scope.grant;
  if (!g || !scope.grantQuery) return null;
  const gq = scope.grantQuery;
  if (q.hasAttachment !== undefined && gq.hasAttachment !== undefined && q.hasAttachment !== gq.hasAttachment) return null;
  const after = Math.max(q.after ?? -Infinity, gq.after ?? -Infinity, g.from);
  const before = Math.min(q.before ?? Infinity, gq.before ?? Infinity, g.until);
  if (after >= before) return null;
  const hasAttachment = q.hasAttachment ?? gq.hasAttachment;
  return { terms: [...gq.terms, ...q.terms], after, before, ...(hasAttachment === undefined ? {} : { hasAttachment }) };
}

/** What the compliance log records of a scope. */
export function scopeDetail(scope: ArchiveScope | undefined): Record<string, unknown> {
  if (!scope) return {};
  if (scope.kind === 'own') return { scope: 'own', addresses: scope.addresses };
  return { scope: 'audit', grant: scope.grant?.id ?? null };
}
