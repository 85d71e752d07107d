// Session codes: readable over the phone, compared in constant time, tolerant of case and dashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { codeMatches, newSessionCode, newSessionId } from './session-code.ts';

test('codes are four groups of four unambiguous characters, different each time', () => {
  const codes = new Set(Array.from({ length: 200 }, () => newSessionCode()));
  assert.equal(codes.size, 200);
  for (const c of codes) assert.match(c, /^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){3}$/);
  assert.match(newSessionId(), /^[0-9a-f]{12}$/);
});

test('a code matches however it is typed, and nothing else matches', () => {
  const c = newSessionCode();
  assert.equal(codeMatches(c, c), true);
  assert.equal(codeMatches(c.toLowerCase().replace(/-/g, ' '), c), true);
  assert.equal(codeMatches(c.slice(0, -1), c), false);
  assert.equal(codeMatches(undefined, c), false);
  assert.equal(codeMatches(12, c), false);
  assert.equal(codeMatches('x'.repeat(100), c), false);
});
