// Turns the archive's parsed search terms into one FTS5 MATCH expression. Every term becomes a
// quoted phrase (so no user text is ever read as FTS5 syntax), limited to its column.
import type { ArchiveField, ArchiveSearch } from '../store.ts';

const COLUMN: Record<ArchiveField, string | null> = {
  any: null,
  from: 'sender',
  to: 'recipients',
  subject: 'subject',
  body: 'body',
  attachment: 'attachments',
};

/** A term without a letter or digit has no tokens: it would match nothing or everything. */
const hasToken = (s: string) => /[\p{L}\p{N}]/u.test(s);

function phrase(t: ArchiveSearch['terms'][number]): string {
  const p = `"${t.text.replace(/"/g, '""')}"`;
  const col = COLUMN[t.field];
  return col ? `${col} : ${p}` : p;
}

/** "" when there is no text term (every message matches); null when nothing can match. */
export function ftsMatch(terms: ArchiveSearch['terms']): string | null {
  const usable = terms.filter((t) => hasToken(t.text));
  const pos = usable.filter((t) => !t.negate).map(phrase);
  const neg = usable.filter((t) => t.negate).map(phrase);
  if (!pos.length) {
    // No terms at all: every message. Terms without tokens, or exclusions only (FTS5's NOT
    // needs something to subtract from; the query parser refuses those): nothing.
    return terms.length ? null : '';
  }
  let expr = pos.length === 1 ? pos[0] : `(${pos.join(' AND ')})`;
  for (const n of neg) expr = `(${expr} NOT ${n})`;
  return expr;
}
