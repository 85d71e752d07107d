// `gatehouse migrate --from sqlite --to postgres`: a single-node appliance filled through SMTP (a
// mail held in a queue, mail archived, compliance records) is stopped and moved into an empty
// PostgreSQL database; a node started on PostgreSQL has it all: the held mail is there and is
// delivered when released, the archive search finds the mail, both chains verify. A second run
// into the (now full) database is refused, and so is a migration while the appliance runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.ts';
import { startPostgres, type Postgres } from '../helpers/postgres.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let pg: Postgres;
let sink: SmtpSink;

before(async () => {
  pg = await startPostgres();
  sink = await startSmtpSink();
});

after(async () => {
  await sink?.stop();
  await pg?.close();
});

const queuedId = (stdout: string) => /queued as ([0-9a-z]{20})/.exec(stdout)?.[1] ?? assert.fail(`no queue id in ${stdout}`);

test('a SQLite appliance moves into PostgreSQL with its held mail, archive and compliance log', async () => {
  const config = { domains: ['example.test'], routes: { 'example.test': `smtp://${sink.address}` }, log: { level: 'warn' } };
  const one = await startGateway({ config });
  let onPg: Awaited<ReturnType<typeof startGateway>> | undefined;
  try {
    // A delivered (and archived) mail.
    const sent = await swaks({ server: one.smtpAddress, from: 'alice@example.test', to: 'bob@example.test', subject: 'quarterly figures migrated', body: 'the numbers are in\n' });
    assert.equal(sent.code, 0, sent.stdout);
    await waitFor(async () => (await sink.messages()).find((m) => m.subject === 'quarterly figures migrated'), { what: 'the first mail at the sink' });
    // A held mail: smtp-sender stopped, so it waits in deliver, then held there.
    assert.equal((await one.api('POST', '/api/v1/services/smtp-sender/stop')).status, 200);
    const held = await swaks({ server: one.smtpAddress, from: 'carol@example.test', to: 'dave@example.test', subject: 'held across the move' });
    const heldId = queuedId(held.stdout);
    await waitFor(async () => (await one.api('GET', `/api/v1/mails/${heldId}`)).json?.queue === 'deliver' || undefined, { what: 'the mail waiting in deliver' });
    const h = await one.api('POST', `/api/v1/mails/${heldId}/hold`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.json.queue, 'hold');
    const records = (await one.api('GET', '/api/v1/compliance')).json.records.length;
    assert.ok(records > 0, 'compliance records were written');

    const url = await pg.createDatabase();
    // While the appliance runs, its data directory is locked: refused.
    const running = await one.cli(['migrate', '--from', 'sqlite', '--to', 'postgres', '--url', url]);
    assert.notEqual(running.code, 0);
    assert.match(running.stderr, /appliance is running/);

    await one.stop();
    const moved = await one.cli(['migrate', '--from', 'sqlite', '--to', 'postgres', '--url', url], { timeoutMs: 120_000 });
    assert.equal(moved.code, 0, moved.stderr + moved.stdout);
    assert.match(moved.stdout, /every count matches/);
    assert.match(moved.stdout, /^mails\s+(\d+)\s+\1\s+ok$/m);
    assert.match(moved.stdout, /^archive index\s+([1-9]\d*)\s+\1\s+ok$/m);
    assert.match(moved.stderr, /mails\s+\[#+\] \d+\/\d+/, 'a progress line per step');
    assert.doesNotMatch(moved.stdout, /DIFFERS/);

    // Into a database that is no longer empty: refused, nothing written.
    const again = await one.cli(['migrate', '--from', 'sqlite', '--to', 'postgres', '--url', url]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /not empty/);

    // A node on PostgreSQL, on the same data directory (its keys: the archive key reads the archive).
    onPg = await startGateway({ config: { ...config, nodeId: 'node-a', database: { url } }, dataDir: one.dataDir });
    const m = (await onPg.api('GET', `/api/v1/mails/${heldId}`)).json;
    assert.equal(m.queue, 'hold');
    assert.ok(m.events.some((e: { event: string }) => e.event === 'held'), 'its tracking came along');
    assert.equal((await onPg.api('POST', '/api/v1/services/smtp-sender/start')).json.state, 'running');
    const rel = await onPg.api('POST', `/api/v1/mails/${heldId}/release`);
    assert.equal(rel.status, 200, rel.text);
    await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'held across the move'), { timeoutMs: 20_000, what: 'the released mail at the sink' });

    const found = await onPg.api('GET', `/api/v1/archive/search?q=${encodeURIComponent('subject:quarterly figures')}`);
    assert.equal(found.status, 200, found.text);
    assert.equal(found.json.total, 1);
    assert.equal(found.json.messages[0].subject, 'quarterly figures migrated');
    const body = await onPg.api('GET', `/api/v1/archive/search?q=${encodeURIComponent('body:numbers')}`);
    assert.equal(body.json.total, 1, 'the rebuilt index has the body text');

    const compliance = await onPg.api('POST', '/api/v1/compliance/verify');
    assert.equal(compliance.status, 200, compliance.text);
    assert.equal(compliance.json.ok, true, compliance.text);
    const archive = await onPg.api('POST', '/api/v1/archive/verify');
    assert.equal(archive.status, 200, archive.text);
    assert.equal(archive.json.ok, true, archive.text);
  } finally {
    await onPg?.dispose();
    await one.dispose();
  }
});
