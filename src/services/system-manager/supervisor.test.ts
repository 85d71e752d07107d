import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { FlowEngine } from '../../flow/flow-engine.ts';
import { createLogger } from '../log-manager/logger.ts';
import { auxiliaryService } from '../auxiliary-service.ts';
import type { Service } from '../service.ts';
import { Supervisor } from './supervisor.ts';
import { ControlError } from './control.ts';

async function setup(extra: Service[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-sup-'));
  const store = openSqliteStore(dir);
  const log = createLogger('test', []);
  const engine = new FlowEngine({ store, log, leaseMs: 1000, concurrency: 4 });
  const services = [
    auxiliaryService({ name: 'log-manager', kind: 'infrastructure', description: 'logs', essential: true, deactivatable: false }),
    auxiliaryService({ name: 'system-manager', kind: 'infrastructure', description: 'sys', essential: true, deactivatable: false }),
    auxiliaryService({ name: 'fuzzy-filter', kind: 'auxiliary', description: 'fuzzy' }),
    auxiliaryService({ name: 'remote-support', kind: 'auxiliary', description: 'rs', deactivatedByDefault: true }),
    ...extra,
  ];
  const sup = new Supervisor(services, { engine, settings: store.settings, log });
  return {
    sup,
    store,
    reopen: () => new Supervisor(services, { engine, settings: store.settings, log }),
    cleanup: async () => (await sup.shutdown(), await store.close(), rmSync(dir, { recursive: true, force: true })),
  };
}

test('a service that fails while running goes to failed with its error and is restarted after a delay', async () => {
  let starts = 0;
  const flaky: Service = {
    ...auxiliaryService({ name: 'virus-scanner', kind: 'auxiliary', description: 'v' }),
    async start() {
      starts++;
    },
  };
  const { sup, cleanup } = await setup([flaky]);
  try {
    await sup.boot();
    assert.equal(sup.get('virus-scanner').state, 'running');
    flaky.onFailure!(new Error('clamd went away'));
    await new Promise((r) => setTimeout(r, 50));
    const st = sup.get('virus-scanner');
    assert.equal(st.state, 'failed');
    assert.equal(st.lastError, 'clamd went away');
    await new Promise((r) => setTimeout(r, 1200)); // first restart delay is 1 s
    assert.equal(sup.get('virus-scanner').state, 'running');
    assert.equal(starts, 2);
  } finally {
    await cleanup();
  }
});

test('a service whose start throws is failed, and not restarted in a storm', async () => {
  let starts = 0;
  const broken: Service = {
    ...auxiliaryService({ name: 'virus-scanner', kind: 'auxiliary', description: 'v' }),
    async start() {
      starts++;
      throw new Error('cannot connect to clamd');
    },
  };
  const { sup, cleanup } = await setup([broken]);
  try {
    await sup.boot();
    assert.equal(sup.get('virus-scanner').state, 'failed');
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(starts <= 2, `started ${starts} times in 1.5 s`);
  } finally {
    await cleanup();
  }
});

test('the log-manager cascade, the unstoppable system-manager, and deactivation', async () => {
  const { sup, cleanup } = await setup();
  try {
    await sup.boot();
    assert.equal(sup.get('remote-support').state, 'stopped', 'deactivated by default');
    assert.equal(sup.get('remote-support').enabled, false);
    await assert.rejects(sup.start('remote-support'), (e: ControlError) => e.code === 'SERVICE_DEACTIVATED');
    await assert.rejects(sup.stop('system-manager'), (e: ControlError) => e.code === 'SERVICE_NOT_STOPPABLE');
    await assert.rejects(sup.stop('nope'), (e: ControlError) => e.code === 'SERVICE_NOT_FOUND');
    await sup.restart('log-manager');
    assert.equal(sup.get('log-manager').state, 'running');
    assert.equal(sup.get('fuzzy-filter').state, 'stopped', 'stays stopped after the cascade');
    await sup.setEnabled('fuzzy-filter', false);
    await assert.rejects(sup.setEnabled('log-manager', false), (e: ControlError) => e.code === 'SERVICE_NOT_DEACTIVATABLE');
  } finally {
    await cleanup();
  }
});

test('optional services keep the state the admin left them in; essential ones come back', async () => {
  const { sup, reopen, cleanup } = await setup();
  try {
    await sup.boot();
    await sup.stop('fuzzy-filter');
    await sup.shutdown();
    const again = reopen();
    await again.boot();
    assert.equal(again.get('fuzzy-filter').state, 'stopped');
    assert.equal(again.get('log-manager').state, 'running');
    await again.shutdown();
  } finally {
    await cleanup();
  }
});
