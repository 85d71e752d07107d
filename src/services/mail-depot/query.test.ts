// The archive query language: fields, phrases, exclusions, dates and the errors that name a term.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery, ArchiveQueryError } from './query.ts';

test('fields, phrases, free text and exclusions', () => {
  assert.deepEqual(parseQuery('from:alice to:"Bob Smith" subject:report "exact words" budget -draft attachment:q3.xlsx'), {
    terms: [
      { field: 'from', text: 'alice', negate: undefined },
      { field: 'to', text: 'Bob Smith', negate: undefined },
      { field: 'subject', text: 'report', negate: undefined },
      { field: 'any', text: 'exact words', negate: undefined },
      { field: 'any', text: 'budget', negate: undefined },
      { field: 'any', text: 'draft', negate: true },
      { field: 'attachment', text: 'q3.xlsx', negate: undefined },
    ],
  });
});

test('dates are UTC days: after: includes the day, before: excludes it; has:attachment', () => {
  const q = parseQuery('after:2025-01-31 before:2025-02-02 has:attachment');
  assert.equal(q.after, Date.UTC(2025, 0, 31));
  assert.equal(q.before, Date.UTC(2025, 1, 2));
  assert.equal(q.hasAttachment, true);
  assert.equal(parseQuery('-has:attachment').hasAttachment, false);
});

test('an unknown field is searched as text', () => {
  assert.deepEqual(parseQuery('re:lunch').terms, [{ field: 'any', text: 're:lunch', negate: undefined }]);
});

test('errors name the term', () => {
  for (const [q, msg] of [
    ['before:2025-02-30', /before: needs a date as YYYY-MM-DD, not "2025-02-30"/],
    ['after:yesterday', /after: needs a date/],
    ['has:pictures', /has: knows only "has:attachment"/],
    ['-spam -ham', /exclusions only/],
    ['after:2025-02-01 before:2025-01-01', /after: must be earlier than before:/],
    ['from:""', /from: needs a value/],
  ] as const) {
    assert.throws(() => parseQuery(q), (e: Error) => e instanceof ArchiveQueryError && msg.test(e.message), q);
  }
});
