// Turns the archive's parsed search terms into SQL conditions on archive_messages `m` with FTS5
// MATCH expressions. Every term becomes a quoted phrase (so no user text is ever read as FTS5
// syntax), limited to its column. Header columns are in archive_fts (one row per message); body
// and attachment text is in archive_fts for a message stored whole, or in archive_body_fts once
// per shared body (m.body_pos): a term that can match the body looks in both.
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

type Term = ArchiveSearch['terms'][number];

function phrase(t: Term): string {
  const p = `"${t.text.replace(/"/g, '""')}"`;
  const col = COLUMN[t.field];
  return col ? `${col} : ${p}` : p;
}

const IN_MESSAGES = 'm.pos IN (SELECT rowid FROM archive_fts WHERE archive_fts MATCH ?)';
const IN_BODIES = 'm.body_pos IN (SELECT rowid FROM archive_body_fts WHERE archive_body_fts MATCH ?)';
// Negated: never NULL (a message without body_pos is 0 here, no body's rowid), so NOT of it is
// true for such a message. Positive terms keep the plain form, which can use the body_pos index.
const IN_BODIES_NOT_NULL = 'ifnull(m.body_pos, 0) IN (SELECT rowid FROM archive_body_fts WHERE archive_body_fts MATCH ?)';
const inBodies = (t: Term) => t.field === 'any' || t.field === 'body' || t.field === 'attachment';

/** One FTS5 expression of the terms over archive_fts: (p1 AND p2) NOT n1 NOT n2. */
function expression(pos: Term[], neg: Term[]): string {
  let expr = pos.length === 1 ? phrase(pos[0]) : `(${pos.map(phrase).join(' AND ')})`;
  for (const n of neg) expr = `(${expr} NOT ${phrase(n)})`;
  return expr;
}

/**
 * The condition and its arguments; "" when there is no text term (every message matches); null
 * when nothing can match.
 */
export function ftsCondition(terms: ArchiveSearch['terms']): { sql: string; args: string[] } | '' | null {
  const usable = terms.filter((t) => hasToken(t.text));
  const pos = usable.filter((t) => !t.negate);
  const neg = usable.filter((t) => t.negate);
  if (!pos.length) {
    // No terms at all: every message. Terms without tokens, or exclusions only (FTS5's NOT
    // needs something to subtract from; the query parser refuses those): nothing.
    return terms.length ? null : '';
  }
  // Only header terms: one MATCH over the message rows, as FTS5 evaluates it best.
  if (!usable.some(inBodies)) return { sql: IN_MESSAGES, args: [expression(pos, neg)] };
  // Otherwise term by term: in the message's row, or (body terms) in its shared body's.
  const sql: string[] = [];
  const args: string[] = [];
  for (const t of [...pos, ...neg]) {
    const one = inBodies(t) ? `(${IN_MESSAGES} OR ${t.negate ? IN_BODIES_NOT_NULL : IN_BODIES})` : IN_MESSAGES;
    sql.push(t.negate ? `NOT ${one}` : one);
    args.push(phrase(t));
    if (inBodies(t)) args.push(phrase(t));
  }
  return { sql: sql.join(' AND '), args };
}
