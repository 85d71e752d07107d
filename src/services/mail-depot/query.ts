// The archive's query language, as mail users know it:
//   from:alice  to:bob@example.com  subject:"quarterly report"  before:2025-02-01  after:2025-01-01
//   has:attachment  "an exact phrase"  free words  -excluded
// Terms are ANDed. before:/after: take YYYY-MM-DD (UTC): after: includes that day, before:
// excludes it. An unknown `word:` is searched as text. Errors name the term (ArchiveQueryError).
import type { ArchiveField, ArchiveSearch } from '../../store/store.ts';

export class ArchiveQueryError extends Error {
  readonly code = 'ARCHIVE_QUERY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveQueryError';
  }
}

export type ParsedQuery = Omit<ArchiveSearch, 'offset' | 'limit'>;

const FIELDS: Record<string, ArchiveField> = {
  from: 'from',
  to: 'to',
  subject: 'subject',
  body: 'body',
  attachment: 'attachment',
  filename: 'attachment',
};

function day(term: string, v: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  const d = new Date(t);
  if (!m || Number.isNaN(t) || d.getUTCMonth() + 1 !== Number(m[2]) || d.getUTCDate() !== Number(m[3])) {
    throw new ArchiveQueryError(`${term} needs a date as YYYY-MM-DD, not "${v}"`);
  }
  return t;
}

export function parseQuery(q: string): ParsedQuery {
  const out: ParsedQuery = { terms: [] };
  const re = /(-?)(?:([A-Za-z]+):)?(?:"([^"]*)"?|(\S+))/g;
  for (const m of q.matchAll(re)) {
    const [whole, minus, key, quoted, bare] = m;
    const value = quoted ?? bare ?? '';
    const negate = minus === '-';
    const k = key?.toLowerCase();
    if (k === 'before' || k === 'after') {
      if (negate) throw new ArchiveQueryError(`${k}: cannot be negated; use the other one`);
      out[k] = day(`${k}:`, value);
    } else if (k === 'has') {
      if (value.toLowerCase() !== 'attachment') throw new ArchiveQueryError(`has: knows only "has:attachment", not "has:${value}"`);
      out.hasAttachment = !negate;
    } else if (k && FIELDS[k]) {
      if (!value.trim()) throw new ArchiveQueryError(`${k}: needs a value`);
      out.terms.push({ field: FIELDS[k], text: value, negate: negate || undefined });
    } else {
      // No field, or one we do not know (e.g. "re:"): the whole term is text.
      const text = k ? whole.slice(negate ? 1 : 0) : value;
      if (!text.trim()) continue;
      out.terms.push({ field: 'any', text: k ? text.replace(/"/g, '') : text, negate: negate || undefined });
    }
  }
  if (out.terms.length && out.terms.every((t) => t.negate)) {
    throw new ArchiveQueryError('a query of exclusions only (-word) finds nothing to exclude from; add a term to search for');
  }
  if (out.before !== undefined && out.after !== undefined && out.after >= out.before) {
    throw new ArchiveQueryError('after: must be earlier than before:');
  }
  return out;
}
