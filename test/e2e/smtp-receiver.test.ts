// smtp-receiver protocol behaviour with real swaks: ESMTP extensions, STARTTLS with the
// self-signed certificate made at first start, AUTH with hashed passwords allowing relay,
// SIZE, and maintenance mode surviving a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

// scrypt hash of "s3cret" (made with src/core/password.ts hashPassword)
const HASH = 'scrypt$16384$8$1$Olj7bpYwbgGe8jHgHMfOMA==$fnrZyvtEaSeZQevA72+/tNyDOW0qwCQQCmAEdJcpEHk=';

let sink: SmtpSink;
let gw: Gateway;

before(async () => {
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { '*': `smtp://${sink.address}` },
      smtp: { maxMessageSize: 20000, users: [{ user: 'alice', password: HASH }] },
    },
  });
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
});

test('EHLO offers STARTTLS, SIZE, 8BITMIME, PIPELINING, SMTPUTF8 and ENHANCEDSTATUSCODES', async () => {
  const r = await swaks({ server: gw.smtpAddress, to: 'a@example.test', quitAfter: 'EHLO' });
  for (const ext of ['STARTTLS', 'SIZE 20000', '8BITMIME', 'PIPELINING', 'SMTPUTF8', 'ENHANCEDSTATUSCODES']) {
    assert.match(r.stdout, new RegExp(`250[- ]${ext}`), ext);
  }
});

test('STARTTLS works with the certificate made at first start, and the Received header says ESMTPS', async () => {
  assert.ok(existsSync(join(gw.dataDir, 'tls', 'smtp-cert.pem')));
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', tls: true, subject: 'over tls' });
  assert.equal(r.code, 0, r.stdout);
  const m = await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'over tls'), { timeoutMs: 15_000 });
  assert.match(m.headers['received'][0], /with ESMTPS id/);
});

test('an authenticated user may relay outward; a wrong password may not', async () => {
  const bad = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to: 'friend@remote.test', tls: true, auth: { user: 'alice', password: 'wrong', type: 'PLAIN' } });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout, /535 5\.7\.8/);
  const ok = await swaks({ server: gw.smtpAddress, from: 'alice@example.test', to: 'friend@remote.test', tls: true, auth: { user: 'alice', password: 's3cret', type: 'PLAIN' }, subject: 'relayed by auth' });
  assert.equal(ok.code, 0, ok.stdout);
  const m = await waitFor(async () => (await sink.messages()).find((x) => x.subject === 'relayed by auth'), { timeoutMs: 15_000 });
  assert.deepEqual(m.recipients, ['friend@remote.test']);
  assert.match(m.headers['received'][0], /with ESMTPSA id/);
  const id = /queued as ([0-9a-z]{20})/.exec(ok.stdout)![1];
  assert.equal((await gw.api('GET', `/api/v1/mails/${id}`)).json.envelope.direction, 'outbound');
});

test('a message over SIZE is refused with 552 and nothing is queued', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', subject: 'too big', body: 'y'.repeat(30000) });
  assert.match(r.stdout, /552/);
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(!(await sink.messages()).some((m) => m.subject === 'too big'));
});

test('maintenance mode stops mail handling and survives a restart', async () => {
  const on = await gw.cli(['maintenance', 'on']);
  assert.equal(on.code, 0, on.stderr);
  assert.equal((await gw.api('GET', '/api/v1/services/smtp-receiver')).json.state, 'stopped');
  await gw.restart();
  assert.equal((await gw.api('GET', '/api/v1/maintenance')).json.enabled, true);
  assert.equal((await gw.api('GET', '/api/v1/services/smtp-receiver')).json.state, 'stopped');
  assert.equal((await gw.api('GET', '/api/v1/services/log-manager')).json.state, 'running');
  const refused = await gw.api('POST', '/api/v1/services/smtp-sender/start');
  assert.equal(refused.status, 409);
  assert.equal(refused.json.code, 'MAINTENANCE_MODE');
  const off = await gw.cli(['maintenance', 'off']);
  assert.equal(off.code, 0, off.stderr);
  assert.equal((await gw.api('GET', '/api/v1/services/smtp-receiver')).json.state, 'running');
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', subject: 'after maintenance' });
  assert.equal(r.code, 0, r.stdout);
});

test('logs of one mail are found through the CLI', async () => {
  const r = await swaks({ server: gw.smtpAddress, from: 'x@outside.test', to: 'a@example.test', subject: 'logged' });
  const id = /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
  await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === 'delivered', { timeoutMs: 15_000 });
  const logs = await waitFor(async () => {
    const l = await gw.cli(['logs', '--mail', id, '--json']);
    return l.code === 0 && JSON.parse(l.stdout).length >= 2 ? JSON.parse(l.stdout) : undefined;
  }, { timeoutMs: 5000 });
  const services = new Set(logs.map((x: { service: string }) => x.service));
  assert.ok(services.has('smtp-receiver') && services.has('smtp-sender'), [...services].join(','));
});

test('gatehouse hash-password makes a hash the receiver accepts', async () => {
  const { verifyPassword } = await import('../../src/core/password.ts');
  const r = await gw.cli(['hash-password'], { input: 'another secret\n' });
  assert.equal(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  assert.match(hash, /^scrypt\$/);
  assert.equal(await verifyPassword('another secret', hash), true);
  assert.equal(await verifyPassword('wrong', hash), false);
});
