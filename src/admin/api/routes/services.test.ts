// The `node` parameter of the service routes on an appliance that is one node (no cluster in
// the control): `all` is this node, any other id is NODE_NOT_FOUND. The cluster case runs in
// test/e2e/cluster-services.test.ts against two real nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../services/log-manager/logger.ts';
import { createMemoryControl } from '../../testing/memory-control.ts';
import { createAdminServer, type AdminServer } from '../server.ts';

const TOKEN = 'test-token-services-0123';
let server: AdminServer;
let base: string;

async function call(method: string, path: string) {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.status, json: JSON.parse(await res.text()) };
}

before(async () => {
  server = createAdminServer({ control: createMemoryControl(), token: TOKEN, listen: '127.0.0.1:0', log: createLogger('admin-api', []) });
  base = (await server.start()).address;
});
after(() => server.stop());

test('one node: `node=all` acts here and answers per node; another node id is NODE_NOT_FOUND', async () => {
  const all = await call('POST', '/api/v1/services/spamfinder/stop?node=all');
  assert.equal(all.status, 200);
  assert.equal(all.json.results.length, 1);
  assert.equal(all.json.results[0].ok, true);
  assert.equal(all.json.results[0].status.state, 'stopped');
  const other = await call('POST', '/api/v1/services/spamfinder/start?node=elsewhere');
  assert.equal(other.status, 404);
  assert.equal(other.json.code, 'NODE_NOT_FOUND');
  assert.equal((await call('GET', '/api/v1/services?node=elsewhere')).json.code, 'NODE_NOT_FOUND');
  const list = await call('GET', '/api/v1/services?node=all');
  assert.equal(list.json.services.find((s: { name: string }) => s.name === 'spamfinder').state, 'stopped');
  assert.equal((await call('POST', '/api/v1/services/spamfinder/start?node=bad%20id')).json.code, 'VALIDATION');
});
