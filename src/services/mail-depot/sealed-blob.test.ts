// The blob format: round trips in memory and streaming with both compressions, and every kind of
// damage (a ciphertext byte, the header, the tag, a wrong key, a truncation, another blob)
// fails the read with an ArchiveIntegrityError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ArchiveBlobRef, ArchiveBlobWriter } from '../../store/store.ts';
import { archiveKeyId, type ArchiveKey } from './archive-key.ts';
import { asIntegrityError, feed, Sealer, sealSync, unseal, type Compression } from './sealed-blob.ts';

const key: ArchiveKey = (() => {
  const k = randomBytes(32);
  return { key: k, id: archiveKeyId(k) };
})();
const keys = (id: string) => (id === key.id ? key.key : undefined);

function memoryBlob(): ArchiveBlobWriter & { data: () => Buffer } {
  const parts: Buffer[] = [];
  return {
    write: async (c) => void parts.push(c),
    commit: async (): Promise<ArchiveBlobRef> => ({ inline: Buffer.concat(parts) }),
    abort: async () => undefined,
    data: () => Buffer.concat(parts),
  };
}

async function read(blob: Buffer, plain: Buffer, compression: Compression): Promise<Buffer> {
  const expect = { contentHash: createHash('sha256').update(plain).digest('hex'), size: plain.length, compression };
  const out: Buffer[] = [];
  try {
    for await (const c of unseal(Readable.from([blob]), keys, expect)) out.push(c as Buffer);
  } catch (err) {
    throw asIntegrityError(err);
  }
  return Buffer.concat(out);
}

const plain = Buffer.from('Subject: hi\r\n\r\n' + 'mail text '.repeat(5000));

for (const c of ['brotli', 'gzip'] as const) {
  test(`${c}: in-memory and streamed blobs read back to the same mail`, async () => {
    assert.deepEqual(await read(sealSync(key, c, plain), plain, c), plain);
    const sink = memoryBlob();
    const s = new Sealer(key, c, sink, plain.length);
    for (let i = 0; i < plain.length; i += 4096) await feed(s.input, plain.subarray(i, i + 4096));
    s.input.end();
    const stored = await s.done;
    assert.equal(stored, sink.data().length);
    assert.ok(stored < plain.length / 10, 'compressed');
    assert.deepEqual(await read(sink.data(), plain, c), plain);
  });
}

test('any damage fails the read with an integrity error', async () => {
  const blob = sealSync(key, 'brotli', plain);
  const flip = (i: number) => {
    const b = Buffer.from(blob);
    b[i] ^= 1;
    return b;
  };
  const cases: [string, Buffer, RegExp][] = [
    ['a ciphertext byte', flip(40), /authentication tag|cannot be read back/],
    ['the compression byte (additional data)', flip(4), /unknown compression|compressed with/],
    ['an IV byte', flip(20), /authentication tag|cannot be read back/],
    ['the tag', flip(blob.length - 1), /authentication tag/],
    ['the key id', flip(6), /key .* is not available/],
    ['a truncation', blob.subarray(0, blob.length - 5), /authentication tag|truncated|cannot be read back/],
    ['another mail', sealSync(key, 'brotli', Buffer.from('other')), /bytes|SHA-256/],
  ];
  for (const [what, b, msg] of cases) {
    await assert.rejects(read(b, plain, 'brotli'), (e: Error) => e.name === 'ArchiveIntegrityError' && msg.test(e.message), what);
  }
});
