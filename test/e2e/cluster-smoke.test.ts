// One gateway node on PostgreSQL (`database.url`) end to end: swaks in, Postfix's smtp-sink as
// the next hop, every stage in the tracking events (all state in PostgreSQL, none in SQLite),
// and a lost database answered with 451 at SMTP until it is back. Two-node tests: cluster-*.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let sink: SmtpSink;
let server: Postgres;
let url: string;
let gw: Gateway;

before(async () => {
  server = await startPostgres();
  url = await server.createDatabase();
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      nodeId: 'smoke-1',
      database: { url, poolSize: 4 },
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { 'example.test': `smtp://${sink.address}` },
      smtp: { recipients: ['alice@example.test'] },
    },
  });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
  await server?.close();
});

const send = (subject: string) => swaks({ server: gw.smtpAddress, from: 'sender@outside.test', to: 'alice@example.test', subject, body: `body of ${subject}\n` });

function queuedId(stdout: string): string {
  const m = /queued as ([0-9a-z]{20})/.exec(stdout);
  assert.ok(m, `no queue id in: ${stdout}`);
  return m[1];
}

test('a node on PostgreSQL delivers a mail and its tracking shows every stage', async () => {
  const r = await send('via postgres');
  assert.equal(r.code, 0, r.stdout);
  const id = queuedId(r.stdout);
  const m = await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'via postgres'), { timeoutMs: 15_000, what: 'the mail at the sink' });
  assert.deepEqual(m.recipients, ['alice@example.test']);
  const detail = await waitFor(async () => {
    const res = await gw.api('GET', `/api/v1/mails/${id}`);
    return res.json?.queue === 'delivered' ? res.json : undefined;
  });
  assert.deepEqual(
    detail.events.map((e: { queue: string }) => e.queue),
    ['seal-in', 'spamfinder', 'depot', 'seal-out', 'deliver', 'delivered'],
  );
  // The mail and its events are rows of the shared database; the node keeps no SQLite queue.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = (await client.query('SELECT queue FROM mails WHERE id = $1', [id])).rows[0];
    assert.equal(row?.queue, 'delivered');
    assert.equal((await client.query('SELECT count(*)::int AS n FROM events WHERE mail_id = $1', [id])).rows[0].n, 6);
  } finally {
    await client.end();
  }
  assert.equal(existsSync(join(gw.dataDir, 'gatehouse.db')), false);
});

test('while PostgreSQL is gone the node answers 451, and accepts and delivers again once it is back', async () => {
  await server.stop();
  try {
    const r = await send('while down');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /451 4\.3\.0/);
  } finally {
    await server.start();
  }
  const ok = await waitFor(
    async () => {
      const r = await send('after restart');
      return r.code === 0 ? r : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 500, what: 'a 250 after PostgreSQL is back' },
  );
  assert.match(ok.stdout, /250 2\.0\.0 Ok: queued as/);
  await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'after restart'), { timeoutMs: 20_000, what: 'the mail at the sink' });
  assert.equal((await sink.messages()).filter((x) => x.subject === 'while down').length, 0);
});
