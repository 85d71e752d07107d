import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BareNewlineDetector } from './smuggling-guard.ts';

function check(...chunks: string[]) {
  const d = new BareNewlineDetector();
  for (const c of chunks) d.scan(Buffer.from(c, 'latin1'));
  d.end();
  return d.found;
}

test('clean CRLF data passes, also split across chunks', () => {
  assert.equal(check('Subject: a\r\n\r\nbody\r\n'), null);
  assert.equal(check('Subject: a\r', '\n\r\nbody\r', '\n'), null);
});

test('bare LF and <LF>.<LF> are found', () => {
  assert.equal(check('Subject: a\r\n\r\nbody\n.\nMAIL FROM:<x>\r\n'), 'bare LF');
  assert.equal(check('a\r\n', '\n.\r\n'), 'bare LF');
});

test('bare CR and <CR>.<CR> are found, also at a chunk end', () => {
  assert.equal(check('body\r.\r\n'), 'bare CR');
  assert.equal(check('body\r', 'x'), 'bare CR');
  assert.equal(check('body\r'), 'bare CR');
});
