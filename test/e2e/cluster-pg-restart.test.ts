// PostgreSQL goes away under load and comes back: two nodes on it, load through both. While the
// database is gone the nodes answer 4xx (never a 250 they cannot keep); when it is back they
// accept again without a restart, and every mail that got a 250 is delivered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { arrivals, sendTracked, startCluster, type Cluster, type TrackedLoad } from '../helpers/cluster.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let pg: Postgres;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let sink: SmtpSink;
let cluster: Cluster;

before(async () => {
  pg = await startPostgres();
  sink = await startSmtpSink();
  cluster = await startCluster(pg, {
    domains: ['example.test'],
    routes: { 'example.test': `smtp://${sink.address}` },
    flow: { lease: '3s' },
    log: { level: 'warn' },
  });
});

after(async () => {
  await cluster?.dispose();
  await sink?.stop();
  await pg?.close();
});

test('PostgreSQL restarted under load: 4xx while it is gone, accepting again after, nothing acknowledged is lost', async () => {
  const [a, b] = cluster.nodes;
  const load: TrackedLoad = { acked: new Map(), refused: new Map() };
  const state: { outage: Promise<{ probes: Awaited<ReturnType<typeof swaks>>[] }> | null } = { outage: null };
  const down = async () => {
    await pg.stop();
    // While it is down: a new mail to each node is refused with a temporary error.
    const probes = await Promise.all(
      [a, b].map((n, i) => swaks({ server: n.smtpAddress, from: 's@example.test', to: 'r@example.test', subject: `probe ${i}`, timeoutSec: 30 })),
    );
    await new Promise((r) => setTimeout(r, 1500));
    await pg.start();
    return { probes };
  };
  await Promise.all([
    sendTracked(a.smtpPort, 250, { tag: 'a1', load, onAck: (n) => void (n >= 60 && !state.outage && (state.outage = down())) }),
    sendTracked(b.smtpPort, 250, { tag: 'b1', load }),
  ]);
  assert.ok(state.outage, 'the database went down mid-load');
  const { probes } = await state.outage;
  for (const n of [a, b]) {
    // A lost database is a temporary failure, never a reason for a node to die.
    assert.ok(alive(n.pid), `node ${n.config.nodeId} survived the outage; its stderr: ${n.logs().stderr.slice(-1500)}`);
  }
  for (const p of probes) {
    const code = Number(p.lastReply?.slice(0, 3));
    assert.ok(code >= 400 && code < 500, `a temporary refusal while the database is gone, got: ${p.lastReply} (swaks ${p.code}: ${p.stdout.slice(-400)})`);
    assert.doesNotMatch(p.stdout, /queued as/);
  }

  // Back: both nodes accept again (no restart of the nodes).
  await waitFor(
    async () => {
      const r = await Promise.all([a, b].map((n) => swaks({ server: n.smtpAddress, from: 's@example.test', to: 'r@example.test', subject: 'after' })));
      return r.every((x) => x.code === 0) || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'both nodes accepting after the database came back' },
  );
  const after = await Promise.all([sendTracked(a.smtpPort, 40, { tag: 'a2' }), sendTracked(b.smtpPort, 40, { tag: 'b2' })]);
  for (const l of after) {
    assert.equal(l.refused.size, 0, [...l.refused.values()].slice(0, 3).join('; '));
    for (const [k, v] of l.acked) load.acked.set(k, v);
  }

  const acked = [...load.acked.keys()];
  assert.ok(acked.length >= 60 + 80, `acknowledged ${acked.length} (at least 60 before the outage, 80 after)`);
  const seen = await waitFor(
    async () => {
      const s = arrivals(await sink.messages());
      return acked.every((id) => s.has(id)) ? s : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `all ${acked.length} acknowledged mails at the sink` },
  );
  for (const id of acked) assert.ok(seen.has(id), `${id} delivered`);
  const counts = (await a.api('GET', '/api/v1/queues')).json.queues;
  for (const q of ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver']) {
    await waitFor(async () => (await a.api('GET', '/api/v1/queues')).json.queues[q].total === 0 || undefined, { timeoutMs: 30_000, what: `${q} empty (${counts[q].total})` });
  }
});
