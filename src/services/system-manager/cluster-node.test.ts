// Two nodes of one appliance in one process: two supervisors with their own ids over one store
// (SQLite here; the cluster e2e tests run the same on PostgreSQL with two gateway processes).
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
import { ClusterNode } from './cluster-node.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

const services = (): Service[] => [
  auxiliaryService({ name: 'log-manager', kind: 'infrastructure', description: 'logs', essential: true, deactivatable: false }),
  auxiliaryService({ name: 'system-manager', kind: 'infrastructure', description: 'sys', essential: true, deactivatable: false }),
  auxiliaryService({ name: 'smtp-receiver', kind: 'ingress', description: 'smtp', deactivatable: false, mailHandling: true }),
  auxiliaryService({ name: 'fuzzy-filter', kind: 'auxiliary', description: 'fuzzy' }),
];

async function twoNodes() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-cluster-'));
  const store = openSqliteStore(dir);
  const log = createLogger('test', []);
  const engine = new FlowEngine({ store, log, leaseMs: 1000, concurrency: 4 });
  const node = async (id: string) => {
    const sup = new Supervisor(services(), { engine, settings: store.settings, log, nodeId: id });
    await sup.boot();
    const cluster = new ClusterNode({ settings: store.settings, supervisor: sup, log, version: 't', pollMs: 50, heartbeatMs: 200, commandTimeoutMs: 1500 });
    await cluster.start();
    return { sup, cluster };
  };
  const a = await node('node-a');
  const b = await node('node-b');
  return {
    a,
    b,
    store,
    node,
    async cleanup() {
      for (const n of [a, b]) {
        await n.cluster.stop();
        await n.sup.shutdown();
      }
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a stop for another node travels through the store: that node stops it, this one does not', async () => {
  const { a, b, cleanup } = await twoNodes();
  try {
    const [r] = await a.cluster.run('node-b', 'stop', 'fuzzy-filter');
    assert.ok(r.ok && r.status.state === 'stopped');
    assert.equal(b.sup.get('fuzzy-filter').state, 'stopped');
    assert.equal(a.sup.get('fuzzy-filter').state, 'running');
    // A sees B's new state at once (B published before answering), and its own live.
    const seen = await a.cluster.nodes();
    assert.deepEqual(seen.map((n) => [n.node, n.self, n.alive]), [['node-a', true, true], ['node-b', false, true]]);
    assert.equal(seen[1].services.find((s) => s.name === 'fuzzy-filter')?.state, 'stopped');
    assert.equal(seen[0].services.find((s) => s.name === 'fuzzy-filter')?.state, 'running');
  } finally {
    await cleanup();
  }
});

test('the log-manager cascade stays on its node', async () => {
  const { a, b, cleanup } = await twoNodes();
  try {
    const [r] = await a.cluster.run('node-b', 'restart', 'log-manager');
    assert.ok(r.ok && r.status.state === 'running');
    assert.equal(b.sup.get('fuzzy-filter').state, 'stopped', 'stopped by the cascade on B');
    assert.equal(b.sup.get('smtp-receiver').state, 'stopped');
    assert.equal(a.sup.get('fuzzy-filter').state, 'running', 'A is untouched');
    assert.equal(a.sup.get('smtp-receiver').state, 'running');
  } finally {
    await cleanup();
  }
});

test('`all` runs on every live node and reports each; errors come back with their code', async () => {
  const { a, b, cleanup } = await twoNodes();
  try {
    const stopped = await a.cluster.run('all', 'stop', 'fuzzy-filter');
    assert.deepEqual(stopped.map((r) => [r.node, r.ok]).sort(), [['node-a', true], ['node-b', true]]);
    assert.equal(b.sup.get('fuzzy-filter').state, 'stopped');
    assert.equal(a.sup.get('fuzzy-filter').state, 'stopped');
    const refused = await a.cluster.run('all', 'stop', 'system-manager');
    assert.ok(refused.every((r) => !r.ok && r.error.code === 'SERVICE_NOT_STOPPABLE'));
    await assert.rejects(a.cluster.run('node-b', 'stop', 'system-manager'), (e: ControlError) => e.code === 'SERVICE_NOT_STOPPABLE' && /^node-b: /.test(e.message));
  } finally {
    await cleanup();
  }
});

test('an unknown node is NODE_NOT_FOUND; a node that does not answer is NODE_TIMEOUT and the command is withdrawn', async () => {
  const { a, b, store, cleanup } = await twoNodes();
  try {
    await assert.rejects(a.cluster.run('node-x', 'stop', 'fuzzy-filter'), (e: ControlError) => e.code === 'NODE_NOT_FOUND');
    await b.cluster.stop(); // B is gone (as after kill -9: no more polling)
    await assert.rejects(a.cluster.run('node-b', 'stop', 'fuzzy-filter'), (e: ControlError) => e.code === 'NODE_TIMEOUT' && /withdrawn/.test(e.message));
    assert.deepEqual(await store.settings.list('node-command:'), [], 'nothing left for B to apply later');
    assert.equal(b.sup.get('fuzzy-filter').state, 'running');
    // After three missed heartbeats B is shown as not alive, and `all` leaves it out.
    await waitFor(async () => (await a.cluster.nodes()).find((n) => n.node === 'node-b')?.alive === false || undefined, { timeoutMs: 3000, what: 'node-b stale' });
    const all = await a.cluster.run('all', 'restart', 'fuzzy-filter');
    assert.deepEqual(all.map((r) => r.node), ['node-a']);
  } finally {
    await cleanup();
  }
});

test('states the admin left are kept per node; maintenance mode is appliance-wide', async () => {
  const { a, b, node, cleanup } = await twoNodes();
  try {
    await a.cluster.run('node-b', 'stop', 'fuzzy-filter');
    await b.cluster.stop();
    await b.sup.shutdown();
    const b2 = await node('node-b'); // B starts again: fuzzy-filter stays stopped there only
    try {
      assert.equal(b2.sup.get('fuzzy-filter').state, 'stopped');
      assert.equal(a.sup.get('fuzzy-filter').state, 'running');
      await a.sup.setMaintenance(true);
      await waitFor(() => (b2.sup.maintenance && b2.sup.get('smtp-receiver').state === 'stopped') || undefined, { timeoutMs: 3000, what: 'B in maintenance' });
      assert.equal(a.sup.get('smtp-receiver').state, 'stopped');
      await a.sup.setMaintenance(false);
      await waitFor(() => b2.sup.get('smtp-receiver').state === 'running' || undefined, { timeoutMs: 3000, what: 'B out of maintenance' });
    } finally {
      await b2.cluster.stop();
      await b2.sup.shutdown();
    }
  } finally {
    await cleanup();
  }
});

test('a node upgraded from one-node states starts from them (`service:<name>`)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-cluster-'));
  const store = openSqliteStore(dir);
  const log = createLogger('test', []);
  try {
    await store.settings.set('service:fuzzy-filter', { enabled: true, wanted: false });
    const sup = new Supervisor(services(), { engine: new FlowEngine({ store, log, leaseMs: 1000, concurrency: 1 }), settings: store.settings, log, nodeId: 'n1' });
    await sup.boot();
    assert.equal(sup.get('fuzzy-filter').state, 'stopped');
    await sup.start('fuzzy-filter');
    assert.deepEqual(await store.settings.get('service:n1:fuzzy-filter'), { enabled: true, wanted: true });
    await sup.shutdown();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
