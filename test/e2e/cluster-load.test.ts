// Two gateway nodes on one PostgreSQL, Postfix's smtp-source sending through both at once to a
// Postfix smtp-sink: every mail is delivered exactly once (by Message-ID), and both nodes did
// part of the work (the queue is shared; each mail is claimed by one node at a time).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { arrivals, startCluster, type Cluster } from '../helpers/cluster.ts';

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

/** Postfix's smtp-source: `mails` mails over `sessions` parallel sessions; resolves with its output. */
function smtpSource(port: number, mails: number, sessions: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const args = ['-4', '-s', String(sessions), '-m', String(mails), '-l', '2048', '-f', 'load@example.test', '-t', 'rcpt@example.test', '-d', `127.0.0.1:${port}`];
    const child = spawn('/usr/sbin/smtp-source', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('load through both nodes: every mail is delivered exactly once to the sink', async () => {
  const perNode = 300;
  const [a, b] = cluster.nodes;
  const runs = await Promise.all([smtpSource(a.smtpPort, perNode, 10), smtpSource(b.smtpPort, perNode, 10)]);
  const errors = () => cluster.nodes.map((n) => n.logs().stdout.split('\n').filter((l) => /"level":(50|60)/.test(l)).slice(-5).join('\n')).join('\n');
  for (const r of runs) assert.equal(r.code, 0, `${r.out}\nnode errors:\n${errors()}`);
  // smtp-source reports a refused mail on its output; none may be refused.
  for (const r of runs) assert.doesNotMatch(r.out, /error|refused|4\d\d |5\d\d /i, r.out);

  const all = await sink.waitForCount(2 * perNode, 90_000);
  // A little longer: a duplicate would arrive after the count was reached.
  await new Promise((r) => setTimeout(r, 1500));
  const seen = arrivals(await sink.messages());
  assert.equal(seen.size, 2 * perNode, `distinct Message-IDs at the sink (${all.length} mails)`);
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no mail delivered twice');

  // Both nodes delivered part of it (the EHLO name at the sink is the delivering node's), and the
  // shared queue counts every mail delivered once.
  const byNode = new Map<string, number>();
  for (const m of all) byNode.set(m.helo ?? '?', (byNode.get(m.helo ?? '?') ?? 0) + 1);
  assert.deepEqual([...byNode.keys()].sort(), ['node-a.cluster.test', 'node-b.cluster.test'], JSON.stringify([...byNode]));
  const counts = await a.api('GET', '/api/v1/queues');
  assert.equal(counts.status, 200, counts.text);
  assert.equal(counts.json.queues.delivered.total, 2 * perNode, JSON.stringify(counts.json.queues));
});
