// Storage failing at the moment of commit: the client gets 451/452 and retries; nothing
// half-written is ever delivered. The fault is injected into the store of an in-process appliance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Appliance } from '../../src/appliance.ts';
import { validateConfig } from '../../src/config/load.ts';
import { openSqliteStore } from '../../src/store/sqlite/open.ts';
import { StorageError, type Store } from '../../src/store/store.ts';
import { startSmtpSink } from '../helpers/smtp-sink.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir, removeTempDir } from '../helpers/tmp.ts';
import { swaks } from '../helpers/swaks.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

test('a failing commit answers 452 (disk full) or 451, and only the retried mail is delivered', async () => {
  const dir = await tempDir();
  const sink = await startSmtpSink();
  const [smtpPort, adminPort] = [await freePort(), await freePort()];
  const config = validateConfig({
    dataDir: join(dir, 'data'),
    domains: ['example.test'],
    routes: { 'example.test': `smtp://${sink.address}` },
    smtp: { listen: `127.0.0.1:${smtpPort}` },
    admin: { listen: `127.0.0.1:${adminPort}` },
  });
  const real = openSqliteStore(config.dataDir);
  let failures: Error[] = [new StorageError('disk full', { noSpace: true }), new StorageError('I/O error')];
  const faulty: Store = {
    ...real,
    queue: Object.assign(Object.create(Object.getPrototypeOf(real.queue)), real.queue, {
      insert: async (...a: Parameters<Store['queue']['insert']>) => {
        const f = failures.shift();
        if (f) throw f;
        return real.queue.insert(...a);
      },
    }),
  };
  const app = await Appliance.start(config, { store: faulty, quiet: true });
  try {
    const send = () => swaks({ server: `127.0.0.1:${smtpPort}`, from: 's@example.test', to: 'a@example.test', subject: 'fault' });
    const r1 = await send();
    assert.match(r1.stdout, /452 4\.3\.1 Insufficient system storage/);
    const r2 = await send();
    assert.match(r2.stdout, /451 4\.3\.0/);
    assert.deepEqual(readdirSync(join(config.dataDir, 'queue', 'bodies')).filter((f) => !f.startsWith('.')), [], 'no half-written body left');
    const r3 = await send();
    assert.equal(r3.code, 0, r3.stdout);
    const got = await sink.waitForCount(1, 15_000);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal((await sink.messages()).length, 1, 'only the acknowledged mail arrives');
    assert.equal(got[0].subject, 'fault');
  } finally {
    failures = [];
    await app.stop();
    await sink.stop();
    await removeTempDir(dir);
  }
});
