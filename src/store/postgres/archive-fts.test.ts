// The archive's tsvector builder: FTS5 unicode61 tokens (case and Latin diacritics folded,
// punctuation separating), positions as FTS5 counts them, and a vector that fills its size
// budget still made of whole entries (a regression: a word without a position broke the insert).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ftsCondition, ftsTokens, ftsVector } from './archive-fts.ts';

test('tokens: lower case, diacritics folded, punctuation separates, letters of every script kept', () => {
  assert.deepEqual(ftsTokens('Über-Prüfung: café_NAÏVE 2025-0042 alice@example.org Καλημέρα'), ['uber', 'prufung', 'cafe', 'naive', '2025', '0042', 'alice', 'example', 'org', 'καλημερα']);
});

test('positions count every token, repeated words keep each position', () => {
  assert.equal(ftsVector('a b a'), "'a':1,3 'b':2");
});

test('a vector at its size budget ends with whole entries, each with a position', () => {
  for (let budget = 20; budget <= 200; budget++) {
    for (const len of [1, 2, 3, 5, 8]) {
      const words = Array.from({ length: 60 }, (_, i) => `${'w'.repeat(len)}${i.toString(36)}`);
      const text = words.flatMap((w, i) => (i % 3 ? [w] : [w, 'common'])).join(' ');
      const v = ftsVector(text, budget);
      for (const entry of v ? v.split(' ') : []) assert.match(entry, /^'[^']+':\d+(,\d+)*$/, `budget ${budget}, length ${len}: ${v}`);
    }
  }
});

test('search terms: phrases of tokens, fields, exclusions, and the cases that find all or nothing', () => {
  const params: unknown[] = [];
  assert.equal(ftsCondition([{ field: 'subject', text: 'Quarterly-Report' }, { field: 'any', text: 'draft', negate: true }], params), "(f.subject @@ $1::tsquery) AND NOT (f.sender @@ $2::tsquery OR f.recipients @@ $2::tsquery OR f.subject @@ $2::tsquery OR f.body @@ $2::tsquery OR f.attachments @@ $2::tsquery OR f.message_id @@ $2::tsquery)");
  assert.deepEqual(params, ["'quarterly' <-> 'report'", "'draft'"]);
  assert.equal(ftsCondition([], []), '');
  assert.equal(ftsCondition([{ field: 'any', text: '!!!' }], []), null);
  assert.equal(ftsCondition([{ field: 'any', text: 'x', negate: true }], []), null);
});
