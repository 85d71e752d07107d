import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { keyCheckValue, loadOrCreateKeyFile } from './key-file.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';

test('a key file is made once, recorded, and a node without it or with another one refuses to start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-keyfile-'));
  try {
    // The settings both nodes share (the appliance's store; SQLite here, the contract is the same).
    const store = openSqliteStore(join(dir, 'db'));
    const settings = store.settings;
    const bad = (m: string) => new Error(m);
    const nodeA = join(dir, 'a', 'keys', 'sealer.key');
    const made = await loadOrCreateKeyFile(nodeA, bad, { settings, name: 'sealer' });
    assert.equal(made.created, true);
    assert.equal(await settings.get('keys.check.sealer'), keyCheckValue(made.key));
    const again = await loadOrCreateKeyFile(nodeA, bad, { settings, name: 'sealer' });
    assert.deepEqual([again.created, again.key.equals(made.key)], [false, true]);

    // Node B has no key file: it must not make a second key.
    await assert.rejects(loadOrCreateKeyFile(join(dir, 'b', 'keys', 'sealer.key'), bad, { settings, name: 'sealer' }), /missing.*copy keys\/sealer.key/);
    // Node C has a different key.
    const nodeC = join(dir, 'c-sealer.key');
    await writeFile(nodeC, randomBytes(32).toString('base64') + '\n');
    await assert.rejects(loadOrCreateKeyFile(nodeC, bad, { settings, name: 'sealer' }), /another sealer key/);
    // Without the shared check (single tools, tests) the file alone decides.
    assert.equal((await loadOrCreateKeyFile(nodeC, bad)).created, false);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
