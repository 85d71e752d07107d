// Rewriting a mail into a new body: headers added at the top, the Subject tagged once, the body
// streamed through byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { rewriteHead, writeRewritten } from './rewrite.ts';

test('rewriteHead tags the subject once and adds a Subject when there is none', () => {
  const head = 'From: a@b.test\r\nSubject: hello\r\n\r\n';
  assert.equal(rewriteHead(head, { prepend: 'X-A: 1\r\n', subjectTag: '[SPAM]' }), 'X-A: 1\r\nFrom: a@b.test\r\nSubject: [SPAM] hello\r\n\r\n');
  assert.equal(rewriteHead('Subject: [SPAM] hello\r\n\r\n', { prepend: '', subjectTag: '[SPAM]' }), 'Subject: [SPAM] hello\r\n\r\n');
  assert.equal(rewriteHead('From: a@b.test\r\n\r\n', { prepend: '', subjectTag: '[SPAM]' }), 'Subject: [SPAM]\r\nFrom: a@b.test\r\n\r\n');
});

test('writeRewritten streams a large body through unchanged after the new header block', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-rewrite-'));
  const store = openSqliteStore(dir);
  try {
    const body = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij\r\n');
    const head = Buffer.from('Subject: big one\r\nFrom: a@b.test\r\n\r\n');
    const chunks = [head.subarray(0, 10), Buffer.concat([head.subarray(10), body.subarray(0, 1000)]), body.subarray(1000)];
    const size = await writeRewritten(Readable.from(chunks), store.bodies, 'rw1', { prepend: 'X-Gatehouse-Spam: yes\r\n', subjectTag: '[SPAM]' });
    const out = await store.bodies.read('rw1');
    assert.equal(out.length, size);
    const expected = Buffer.concat([Buffer.from('X-Gatehouse-Spam: yes\r\nSubject: [SPAM] big one\r\nFrom: a@b.test\r\n\r\n'), body]);
    assert.ok(out.equals(expected));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
