// Service states per node in a cluster: two gateway processes on one PostgreSQL. A service
// stopped on node B from node A's API (and CLI) stops on B only; both nodes show it so; mail
// accepted by B is then delivered by A; `all` acts on both; an unknown node is a 404 problem; a
// stopped node is shown as left. (NODE_TIMEOUT: src/services/system-manager/cluster-node.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let pg: Postgres;
let sink: SmtpSink;
let cluster: Cluster;

before(async () => {
  pg = await startPostgres();
  sink = await startSmtpSink();
  cluster = await startCluster(pg, { domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` }, log: { level: 'warn' } });
});

after(async () => {
  await cluster?.dispose();
  await sink?.stop();
  await pg?.close();
});

type Status = { name: string; state: string };
type NodeEntry = { node: string; self: boolean; alive: boolean; services: Status[] };
const stateOf = (services: Status[], name: string) => services.find((s) => s.name === name)?.state;

test('a service stopped on node B from node A: B shows it stopped, A does not; mail accepted by B is delivered by A', async () => {
  const [a, b] = cluster.nodes;
  const r = await a.api('POST', '/api/v1/services/smtp-sender/stop?node=node-b');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.state, 'stopped');

  const onB = (await b.api('GET', '/api/v1/services')).json;
  assert.equal(onB.node, 'node-b');
  assert.equal(stateOf(onB.services, 'smtp-sender'), 'stopped');
  const onA = (await a.api('GET', '/api/v1/services')).json;
  assert.equal(onA.node, 'node-a');
  assert.equal(stateOf(onA.services, 'smtp-sender'), 'running');
  // A's view of the cluster: both nodes, each with its own state.
  const nodes: NodeEntry[] = onA.nodes;
  assert.deepEqual(nodes.map((n) => [n.node, n.self, n.alive]), [['node-a', true, true], ['node-b', false, true]]);
  assert.equal(stateOf(nodes[1].services, 'smtp-sender'), 'stopped');
  assert.equal(stateOf(nodes[0].services, 'smtp-sender'), 'running');
  assert.equal(stateOf((await a.api('GET', '/api/v1/services?node=node-b')).json.services, 'smtp-sender'), 'stopped');

  // The queue is shared: mail accepted by B is delivered by A's smtp-sender.
  const sent = await swaks({ server: b.smtpAddress, from: 's@example.test', to: 'r@example.test', subject: 'via node b' });
  assert.equal(sent.code, 0, sent.stdout);
  const id = /queued as ([0-9a-z]{20})/.exec(sent.stdout)![1];
  await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'via node b'), { timeoutMs: 20_000, what: 'the mail at the sink' }).catch(async (err: Error) => {
    throw new Error(`${err.message}; the mail: ${(await a.api('GET', `/api/v1/mails/${id}`)).text}`);
  });
  const done = await waitFor(async () => {
    const m = (await b.api('GET', `/api/v1/mails/${id}`)).json;
    return m?.queue === 'delivered' ? m : undefined;
  }, { what: 'the mail delivered, as B sees the shared queue' });
  assert.ok(done.events.some((e: { event: string }) => e.event === 'delivered'), JSON.stringify(done.events));
});

test('the CLI acts on another node and on all; the list shows every node', async () => {
  const [a, b] = cluster.nodes;
  const started = await a.cli(['services', 'start', 'smtp-sender', '--node', 'node-b']);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(started.stdout, 'node-b: smtp-sender: running\n');
  assert.equal(stateOf((await b.api('GET', '/api/v1/services')).json.services, 'smtp-sender'), 'running');

  const stopped = await a.cli(['services', 'stop', 'fuzzy-filter', '--node', 'all']);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(stopped.stdout.trim().split('\n').sort(), ['node-a: fuzzy-filter: stopped', 'node-b: fuzzy-filter: stopped']);
  for (const n of [a, b]) assert.equal(stateOf((await n.api('GET', '/api/v1/services')).json.services, 'fuzzy-filter'), 'stopped');

  const list = await b.cli(['services', 'list', '--node', 'all']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NODE\s+NAME\s+STATE/);
  assert.match(list.stdout, /node-a\s+fuzzy-filter\s+stopped/);
  assert.match(list.stdout, /node-b\s+fuzzy-filter\s+stopped/);
  assert.match(list.stdout, /node-a\s+smtp-sender\s+running/);

  const back = await b.api('POST', '/api/v1/services/fuzzy-filter/start?node=all');
  assert.equal(back.status, 200, back.text);
  assert.deepEqual(back.json.results.map((x: { node: string; ok: boolean }) => [x.node, x.ok]).sort(), [['node-a', true], ['node-b', true]]);

  const unknown = await a.api('POST', '/api/v1/services/smtp-sender/stop?node=node-z');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.code, 'NODE_NOT_FOUND');
});

test('a node that was stopped is shown as left with its last states; `all` leaves it out until it is back', async () => {
  const [a, b] = cluster.nodes;
  await b.stop();
  try {
    const nodes: (NodeEntry & { left: boolean })[] = (await a.api('GET', '/api/v1/services')).json.nodes;
    const nb = nodes.find((n) => n.node === 'node-b')!;
    assert.equal(nb.alive, false);
    assert.equal(nb.left, true);
    assert.equal(stateOf(nb.services, 'smtp-sender'), 'stopped', 'the states it left with');
    const all = await a.api('POST', '/api/v1/services/fuzzy-filter/restart?node=all');
    assert.deepEqual(all.json.results.map((x: { node: string }) => x.node), ['node-a']);
  } finally {
    await b.restart();
  }
  // Back again: it is alive and answers commands.
  const again = await a.api('POST', '/api/v1/services/fuzzy-filter/restart?node=node-b');
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.state, 'running');
});
