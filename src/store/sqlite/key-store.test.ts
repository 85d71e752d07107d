// The key store keeps a private key once held, merges harvested copies without downgrading the
// source, finds keys by address and forgets addresses with the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openSqliteStore } from './open.ts';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';

const base = {
  kind: 'x509' as const,
  subject: 'CN=alice',
  issuer: 'CN=ca',
  serial: '01',
  notBefore: 1,
  notAfter: 2,
  publicData: '-----BEGIN CERTIFICATE-----',
};

test('put, list by address, private key kept, harvest keeps the source, remove', async () => {
  const dir = await tempDir();
  const store = openSqliteStore(join(dir, 'data'));
  try {
    const a = await store.keys.put({ ...base, id: 'aa', source: 'import', addresses: ['Alice@Example.test'], sealedPrivate: Buffer.from('sealed') });
    assert.equal(a.created, true);
    assert.deepEqual(a.key.addresses, ['alice@example.test']);
    await store.keys.put({ ...base, id: 'bb', source: 'harvested', addresses: ['bob@partner.test'], sealedPrivate: null });

    const again = await store.keys.put({ ...base, id: 'aa', source: 'harvested', addresses: ['alice@example.test'], sealedPrivate: null });
    assert.equal(again.created, false);
    assert.equal(again.key.source, 'import', 'a harvested copy does not change the source');
    assert.deepEqual(again.key.sealedPrivate, Buffer.from('sealed'), 'the private key is kept');

    assert.deepEqual((await store.keys.list({ address: 'ALICE@example.test' })).map((k) => k.id), ['aa']);
    assert.deepEqual((await store.keys.list({ source: 'harvested' })).map((k) => k.id), ['bb']);
    assert.equal((await store.keys.list()).length, 2);

    assert.equal(await store.keys.remove('aa'), true);
    assert.equal(await store.keys.remove('aa'), false);
    assert.equal(await store.keys.get('aa'), null);
    assert.deepEqual(await store.keys.list({ address: 'alice@example.test' }), []);
  } finally {
    await store.close();
    await removeTempDir(dir);
  }
});
