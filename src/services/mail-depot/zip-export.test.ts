// Zip export: read back with Info-ZIP's unzip (an independent reader), one .eml per message in
// order, each byte for byte, dated by the message; pages looked up once each; a mail that fails
// its integrity check breaks the stream off with that error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ArchivedMessage } from '../../store/store.ts';
import { zipStream } from './zip-export.ts';

async function bytes(r: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of r) out.push(c as Buffer);
  return Buffer.concat(out);
}

const msg = (id: string, day: number) => ({ id, date: Date.UTC(2025, 0, day, 12), archivedAt: Date.UTC(2025, 1, 1) }) as ArchivedMessage;

test('a zip of .eml files that unzip reads back byte for byte, in order, pages looked up once', async () => {
  const mails: Record<string, Buffer> = {
    A1: Buffer.from('Subject: first\r\n\r\nhello\r\n'),
    B2: Buffer.from('Subject: second\r\n\r\n' + 'long line of text '.repeat(5000) + '\r\n'),
    C3: Buffer.from('Subject: third\r\n\r\nbye\r\n'),
  };
  const pages: number[] = [];
  const seen: string[] = [];
  const zip = await bytes(
    zipStream(
      {
        page: async (n) => (pages.push(n), n === 1 ? [msg('A1', 3), msg('B2', 4)] : n === 2 ? [msg('C3', 5)] : []),
        verified: async (m) => (m.id === 'B2' ? Readable.from([mails[m.id].subarray(0, 1000), mails[m.id].subarray(1000)]) : mails[m.id]),
      },
      (m) => seen.push(m.id),
    ),
  );
  assert.deepEqual(pages, [1, 2, 3]);
  assert.deepEqual(seen, ['A1', 'B2', 'C3']);
  const dir = mkdtempSync(join(tmpdir(), 'gh-zip-'));
  try {
    const file = join(dir, 'export.zip');
    writeFileSync(file, zip);
    const listing = execFileSync('unzip', ['-l', file], { encoding: 'utf8' });
    const names = [...listing.matchAll(/(\d{6}-\S+\.eml)/g)].map((m) => m[1]);
    assert.deepEqual(names, ['000001-2025-01-03-A1.eml', '000002-2025-01-04-B2.eml', '000003-2025-01-05-C3.eml']);
    execFileSync('unzip', ['-q', file, '-d', join(dir, 'out')]);
    for (const [i, id] of ['A1', 'B2', 'C3'].entries()) {
      assert.deepEqual(readFileSync(join(dir, 'out', names[i])), mails[id], id);
    }
    assert.ok(zip.length < mails.B2.length / 10, 'compressed');
    execFileSync('unzip', ['-tq', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty result is an empty zip; a mail that fails its check breaks the stream off', async () => {
  const empty = await bytes(zipStream({ page: async () => [], verified: async () => Buffer.alloc(0) }));
  assert.equal(empty.subarray(0, 4).toString('hex'), '504b0506', 'just the end of central directory');
  const broken = zipStream({
    page: async (n) => (n === 1 ? [msg('A1', 1), msg('B2', 2)] : []),
    verified: async (m) => {
      if (m.id === 'B2') throw new Error('archived message B2 fails its integrity check');
      return Buffer.from('Subject: ok\r\n\r\n');
    },
  });
  await assert.rejects(bytes(broken), /B2 fails its integrity check/);
});
