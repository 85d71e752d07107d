// kill -9 of one node under load: two nodes on one PostgreSQL, a slow next hop (so the killed node
// holds claimed mail in `deliver`), load through both; node B is killed mid-load. Node A finishes
// every mail that got a 250 from either node — including those B had claimed, once their lease
// (3 s here) has run out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { arrivals, sendTracked, startCluster, type Cluster } from '../helpers/cluster.ts';
import { waitFor } from '../helpers/wait.ts';

let pg: Postgres;
let sink: SmtpSink;
let cluster: Cluster;

before(async () => {
  pg = await startPostgres();
  // One second before each DATA is answered: deliveries are in flight when B dies.
  sink = await startSmtpSink({ dataDelay: 1 });
  cluster = await startCluster(pg, {
    domains: ['example.test'],
    routes: { 'example.test': `smtp://${sink.address}` },
    flow: { lease: '3s', concurrency: 8 },
    log: { level: 'warn' },
  });
});

after(async () => {
  await cluster?.dispose();
  await sink?.stop();
  await pg?.close();
});

test('kill -9 of one node under load: the other delivers every mail either node acknowledged', async () => {
  const [a, b] = cluster.nodes;
  const state: { killed: Promise<void> | null } = { killed: null };
  const [viaA, viaB] = await Promise.all([
    sendTracked(a.smtpPort, 120, { tag: 'via-a' }),
    sendTracked(b.smtpPort, 240, {
      tag: 'via-b',
      onAck: (n) => {
        if (n >= 80 && !state.killed) state.killed = b.kill('SIGKILL');
      },
    }),
  ]);
  assert.ok(state.killed, `node B was killed mid-load (B acked ${viaB.acked.size}; refused: ${[...viaB.refused.values()].slice(0, 2).join('; ')})`);
  await state.killed;
  assert.ok(viaB.acked.size >= 80 && viaB.refused.size > 0, `B acked ${viaB.acked.size}, refused ${viaB.refused.size}`);
  assert.equal(viaA.refused.size, 0, [...viaA.refused.values()].slice(0, 3).join('; '));

  // What was not yet delivered when B died, as A sees the shared queue (B's claims among it).
  const listed = await a.api('GET', '/api/v1/mails?queue=deliver&limit=1000');
  const inFlightAtKill: { id: string; queue: string }[] = listed.json.mails.map((m: { id: string; queue: string }) => ({ id: m.id, queue: m.queue }));
  const ackedIds = new Set([...viaA.acked.values(), ...viaB.acked.values()]);
  const bIds = new Set(viaB.acked.values());
  const bUndelivered = inFlightAtKill.filter((m) => bIds.has(m.id));
  assert.ok(bUndelivered.length > 0, 'mail B accepted was still waiting for delivery when B died');

  const acked = [...viaA.acked.keys(), ...viaB.acked.keys()];
  const seen = await waitFor(
    async () => {
      const s = arrivals(await sink.messages());
      return acked.every((id) => s.has(id)) ? s : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `all ${acked.length} acknowledged mails at the sink` },
  );
  for (const id of acked) assert.ok(seen.has(id), `${id} delivered`);
  // A mail is delivered twice only if B handed it to the sink and died before recording that.
  const twice = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  assert.ok(twice.length <= 8, `at most B's in-flight deliveries (flow.concurrency 8) are repeated: ${twice.join(', ')}`);

  // A shows every acknowledged mail delivered, B's included.
  for (const m of bUndelivered) {
    const d = await waitFor(async () => {
      const r = await a.api('GET', `/api/v1/mails/${m.id}`);
      return r.json?.queue === 'delivered' ? r.json : undefined;
    }, { timeoutMs: 20_000, what: `mail ${m.id} delivered` });
    assert.equal(d.queue, 'delivered');
  }
  const counts = (await a.api('GET', '/api/v1/queues')).json.queues;
  for (const q of ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver']) assert.equal(counts[q].total, 0, `${q} is empty`);
  // Both nodes archived (one archive, one key): A reads and verifies every archived mail, B's too.
  const verified = await a.api('POST', '/api/v1/archive/verify');
  assert.equal(verified.status, 200, verified.text);
  assert.equal(verified.json.ok, true, verified.text.slice(0, 2000));
  // Mail B committed but could not acknowledge before it died is delivered too (never lost).
  assert.ok(counts.delivered.total >= ackedIds.size, `${counts.delivered.total} delivered, ${ackedIds.size} acknowledged`);
});
