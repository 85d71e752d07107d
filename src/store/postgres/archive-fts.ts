// The archive's full-text index on PostgreSQL: tsvectors built here (not by a text search
// configuration) from the same tokens FTS5 unicode61 with remove_diacritics makes in the SQLite
// archive, and ArchiveSearch terms turned into tsquery conditions with FTS5's semantics: every
// term a phrase within one field ("any" = within any field), AND of terms, NOT of negated ones.
import type { ArchiveField, ArchiveIndexDocument, ArchiveSearch } from '../store.ts';

/** The index columns (archive_fts), in ArchiveIndexDocument order. */
export const FTS_COLUMNS = ['sender', 'recipients', 'subject', 'body', 'attachments', 'message_id'] as const;

const COLUMN: Record<ArchiveField, readonly string[]> = {
  any: FTS_COLUMNS,
  from: ['sender'],
  to: ['recipients'],
  subject: ['subject'],
  body: ['body'],
  attachment: ['attachments'],
};

/** tsvector limits: positions 1..16383, 256 positions per lexeme, lexemes < 2 KiB, 1 MiB per vector. */
const MAX_POS = 16383;
const MAX_POSITIONS = 255;
const MAX_LEXEME_BYTES = 2046;
const MAX_VECTOR_BYTES = 900_000;

/** A term without a letter or digit has no tokens (same test as the SQLite archive-match.ts). */
const hasToken = (s: string) => /[\p{L}\p{N}]/u.test(s);

/**
 * unicode61 tokens: lower-cased, Latin diacritics removed, runs of letters, digits, marks and
 * private-use characters; everything else (spaces, punctuation, symbols) separates.
 */
export function ftsTokens(text: string): string[] {
  const folded = text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').normalize('NFC');
  return folded.match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? [];
}

/**
 * The tsvector literal of one field. Word positions follow FTS5's (1, 2, ...), so phrases match
 * the same; past PostgreSQL's limits (position 16383, 255 positions per word, ~1 MiB per vector)
 * later occurrences keep matching as words (clamped position) and new words are left out.
 */
export function ftsVector(text: string, maxBytes = MAX_VECTOR_BYTES): string {
  const positions = new Map<string, number[]>();
  let bytes = 0;
  let pos = 0;
  for (const tok of ftsTokens(text)) {
    pos++;
    const p = Math.min(pos, MAX_POS);
    const list = positions.get(tok);
    if (!list) {
      // A new word with its first position (entry, length, position count, position).
      const len = Buffer.byteLength(tok);
      if (len > MAX_LEXEME_BYTES || bytes + len + 10 > maxBytes) continue;
      bytes += len + 10;
      positions.set(tok, [p]);
    } else if (list.length < MAX_POSITIONS && list[list.length - 1] !== p && bytes + 2 <= maxBytes) {
      list.push(p);
      bytes += 2;
    }
  }
  const parts: string[] = [];
  for (const [tok, list] of positions) parts.push(`'${tok}':${list.join(',')}`);
  return parts.join(' ');
}

/** The six vectors of a message's index row, in FTS_COLUMNS order. */
export function ftsRow(x: ArchiveIndexDocument): string[] {
  return [x.sender, x.recipients, x.subject, x.body, x.attachments, x.messageId].map((text) => ftsVector(text));
}

/** A phrase as tsquery text ('a' <-> 'b'); null when it has a word no vector can hold. */
function phraseQuery(text: string): string | null {
  const toks = ftsTokens(text).slice(0, 1000);
  if (toks.some((t) => Buffer.byteLength(t) > MAX_LEXEME_BYTES)) return null;
  return toks.map((t) => `'${t}'`).join(' <-> ');
}

/**
 * The WHERE condition on archive_fts `f` for the search terms, with its tsquery values appended
 * to `params` ($n placeholders). "" when there is no text term (every message matches); null
 * when nothing can match — the same cases as the SQLite ftsMatch().
 */
export function ftsCondition(terms: ArchiveSearch['terms'], params: unknown[]): string | null {
  const usable = terms.filter((t) => hasToken(t.text));
  const pos = usable.filter((t) => !t.negate);
  if (!pos.length) return terms.length ? null : '';
  const conds: string[] = [];
  for (const t of usable) {
    const q = phraseQuery(t.text);
    if (q === null) {
      if (!t.negate) return null; // a word too long to be indexed: found nowhere
      continue;
    }
    params.push(q);
    const p = `$${params.length}::tsquery`;
    const any = COLUMN[t.field].map((c) => `f.${c} @@ ${p}`).join(' OR ');
    // An exclusion is checked on the candidates the other terms found (a cost bounded by them);
    // as an anti-join it would read every message that has the excluded words instead.
    conds.push(t.negate ? `NOT (${any})` : `(${any})`);
  }
  return conds.join(' AND ');
}
