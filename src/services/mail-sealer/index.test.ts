// The mail-sealer service: not configured until a policy or a key (other than the built-in CA)
// exists; the CA and the key file are made at the first start; policies set through the control
// persist across a restart and reset to the config file's; key errors carry control codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../config/load.ts';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { createLogger } from '../log-manager/logger.ts';
import { ControlError } from '../system-manager/control.ts';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';
import { createMailSealer } from './index.ts';

test('configured by keys or policies; API policies persist until reset; control error codes', async () => {
  const dir = await tempDir('gatehouse-sealer-svc-');
  const config = validateConfig({ dataDir: join(dir, 'data') });
  const store = openSqliteStore(config.dataDir);
  const make = () => createMailSealer({ config, keys: store.keys, settings: store.settings, log: createLogger('mail-sealer', []) });
  try {
    const sealer = make();
    await sealer.start();
    assert.ok(existsSync(join(config.dataDir, 'keys', 'sealer.key')));
    assert.equal(sealer.configured(), false, 'the built-in CA alone does not configure the sealer');
    assert.equal((await sealer.control.keys.list({ source: 'ca' })).length, 1);
    const issued = await sealer.control.keys.issue('alice@example.test', {}, 'test');
    await new Promise((r) => setImmediate(r));
    assert.equal(sealer.configured(), true);
    await sealer.control.keys.delete(issued.id, 'test');
    await new Promise((r) => setImmediate(r));
    assert.equal(sealer.configured(), false);

    await assert.rejects(sealer.control.policies.set([{ name: 'x', encrypt: 'sometimes' }], 'test'), (e: unknown) => e instanceof ControlError && e.code === 'POLICY_INVALID' && /policies\.0\.encrypt/.test(e.message));
    const set = await sealer.control.policies.set([{ name: 'partners', recipients: ['*@partner.test'], encrypt: 'force' }], 'test');
    assert.equal(set.source, 'api');
    assert.equal(sealer.configured(), true);

    const again = make();
    await again.start();
    assert.deepEqual((await again.control.policies.get()).policies.map((p) => p.name), ['partners'], 'kept across a restart');
    const reset = await again.control.policies.reset('test');
    assert.deepEqual(reset, { source: 'config', policies: [] });
    assert.equal(again.configured(), false);

    await assert.rejects(again.control.keys.get('00'.repeat(32)), (e: unknown) => e instanceof ControlError && e.code === 'KEY_NOT_FOUND');
    await assert.rejects(again.control.keys.import(Buffer.from('not a key'), {}, 'test'), (e: unknown) => e instanceof ControlError && e.code === 'KEY_INVALID');
  } finally {
    await store.close();
    await removeTempDir(dir);
  }
});
