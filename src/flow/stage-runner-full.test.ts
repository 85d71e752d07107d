// Regression: a stage running at its concurrency limit that was notified (new mail) spun on
// microtasks in its claim loop and starved the event loop: the gateway hung under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newMailId } from '../core/ids.ts';
import { openSqliteStore } from '../store/sqlite/open.ts';
import { createLogger } from '../services/log-manager/logger.ts';
import { FlowEngine } from './flow-engine.ts';
import type { Stage } from './stage.ts';

test('a stage at its concurrency limit waits for a free slot without starving the event loop', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-runner-'));
  const store = openSqliteStore(dir);
  const engine = new FlowEngine({ store, log: createLogger('test', []), leaseMs: 60_000, concurrency: 1 });
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const stage: Stage = {
    name: 'depot',
    concurrency: 1,
    async process(mail) {
      started.push(mail.id);
      await gate;
      return { outcome: { kind: 'finish', state: 'delivered', reason: 'test' } };
    },
  };
  try {
    engine.startStage(stage, 'mail-depot', () => true);
    const submit = async () => {
      const id = newMailId();
      const w = await store.bodies.create(id);
      await w.write(Buffer.from('Subject: x\r\n\r\nx\r\n'));
      await w.commit();
      await engine.submit([
        { id, queue: 'depot', bodyKey: id, size: 17, receivedAt: Date.now(), event: { event: 'received', actor: 'test' }, envelope: { sender: '', recipients: [{ address: 'a@b.test', status: 'pending' }], direction: 'inbound', source: 'smtp' } },
      ]);
      return id;
    };
    await submit();
    while (started.length < 1) await sleep(10);
    await submit(); // notifies the runner while its only slot is busy
    let ticks = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(20); // would never fire while the loop spins
      ticks++;
    }
    assert.equal(ticks, 5);
    assert.equal(started.length, 1, 'the second mail waits for the slot');
    release();
    while (started.length < 2) await sleep(10);
  } finally {
    await engine.stopStage('depot', 1000);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
