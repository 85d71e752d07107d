// API tokens, sessions across a restart and the user's own mail, end to end on the real gateway:
// `gatehouse tokens create|list|revoke`, a token acting with its role (and its actions in the
// compliance log), a console session that outlives a gateway restart, and a `user` who sees and
// acts on their own quarantined mail and lists only — never another user's mail (checked on the
// API directly), nor the virus quarantine or a mail shared with other recipients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.ts';
import { swaks } from '../helpers/swaks.ts';
import { waitFor } from '../helpers/wait.ts';

let gw: Gateway;
let sink: SmtpSink;
let dns: DnsServer;
let adminPassword: string;

before(async () => {
  sink = await startSmtpSink();
  dns = await startDnsServer({});
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: ['192.0.2.0/24'],
      routes: { '*': `smtp://${sink.address}` },
      dns: { servers: [dns.address], timeout: '2s' },
      spamfinder: { lists: { abl: ['*@blocked.test'] } },
    },
  });
  adminPassword = readFileSync(join(gw.dataDir, 'initial-admin-password'), 'utf8').trim();
  for (const name of ['ursula', 'victor']) {
    const r = await gw.cli(['users', 'add', name, '--role', 'user', '--email', `${name}@example.test`, '--password-stdin'], { input: `pw-of-${name}-123\n` });
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
  await dns?.stop();
});

interface Login {
  cookie: string;
  csrf: string;
}

async function login(username: string, password: string): Promise<Login> {
  const r = await gw.api('POST', '/api/v1/session', { username, password }, { token: null });
  assert.equal(r.status, 200, r.text);
  return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0], csrf: r.json.csrfToken };
}
const as = (s: Login, method: string, path: string, body?: unknown) => gw.api(method, path, body, { token: null, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
const bearer = (token: string, method: string, path: string, body?: unknown) => gw.api(method, path, body, { token });

async function quarantined(to: string, subject: string): Promise<string> {
  const r = await swaks({ server: gw.smtpAddress, from: 'pusher@blocked.test', to, subject, body: 'Buy now.\n' });
  assert.equal(r.code, 0, r.stdout);
  const id = /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
  await waitFor(async () => (await gw.api('GET', `/api/v1/mails/${id}`)).json?.queue === 'quarantine:spam', { timeoutMs: 15_000, what: `mail ${id} in quarantine:spam` });
  return id;
}

test('gatehouse tokens: create prints the token once, it acts with its role, revoke ends it; actions go to the compliance log', async () => {
  const made = await gw.cli(['tokens', 'create', 'nightly', '--role', 'auditor']);
  assert.equal(made.code, 0, made.stderr);
  const auditor = made.stdout.trim();
  assert.match(auditor, /^ght_[A-Za-z0-9_-]{40,}$/);
  const adminMade = await gw.cli(['tokens', 'create', 'deploy', '--role', 'admin']);
  const admin = adminMade.stdout.trim();

  assert.equal((await bearer(auditor, 'GET', '/api/v1/compliance?limit=1')).status, 200);
  const refused = await bearer(auditor, 'POST', '/api/v1/services/smtp-sender/restart');
  assert.equal(refused.status, 403);
  assert.equal(refused.json.code, 'FORBIDDEN');
  assert.equal((await bearer(auditor, 'GET', '/api/v1/tokens')).status, 403, 'only admins see tokens');
  assert.equal((await bearer(admin, 'POST', '/api/v1/services/smtp-sender/restart')).status, 200, 'no CSRF token needed with a bearer token');

  const list = await gw.cli(['tokens', 'list']);
  assert.match(list.stdout, /deploy\s+admin/);
  assert.match(list.stdout, /nightly\s+auditor/);
  assert.ok(!list.stdout.includes(auditor) && !list.stdout.includes(admin), 'the list never shows a token');
  const dup = await gw.cli(['tokens', 'create', 'nightly', '--role', 'admin']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /TOKEN_EXISTS|exists/);

  const revoked = await gw.cli(['tokens', 'revoke', 'nightly']);
  assert.equal(revoked.code, 0, revoked.stderr);
  const after = await bearer(auditor, 'GET', '/api/v1/compliance?limit=1');
  assert.equal(after.status, 401);
  assert.equal(after.json.code, 'UNAUTHORIZED');

  await waitFor(async () => /"actor":"token:deploy"/.test((await gw.api('GET', '/api/v1/compliance?category=admin&limit=200')).text), { what: 'the token\'s request in the compliance log' });
  const log = (await gw.api('GET', '/api/v1/compliance?category=admin&limit=200')).text;
  assert.match(log, /"action":"token.create","actor":"admin-api","subject":"nightly"/);
  assert.match(log, /"action":"token.revoke","actor":"admin-api","subject":"nightly"/);
  assert.match(log, /"action":"console.request","actor":"token:deploy","subject":"\/api\/v1\/services\/smtp-sender\/restart"/);
});

test('a console session and an API token outlive a restart of the gateway', async () => {
  const s = await login('admin', adminPassword);
  const token = (await gw.cli(['tokens', 'create', 'survivor', '--role', 'helpdesk'])).stdout.trim();
  await gw.restart();
  const me = await as(s, 'GET', '/api/v1/session');
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.user.name, 'admin');
  assert.equal(me.json.csrfToken, s.csrf);
  assert.equal((await as(s, 'POST', '/api/v1/services/smtp-sender/restart')).status, 200, 'the CSRF token still matches');
  assert.equal((await bearer(token, 'GET', '/api/v1/services')).status, 200);
  assert.equal((await as(s, 'DELETE', '/api/v1/session')).status, 204);
  await gw.restart();
  assert.equal((await as(s, 'GET', '/api/v1/services')).status, 401, 'a logout is kept across restarts too');
});

test('a user sees and acts on their own quarantined mail only; another user cannot see or touch it', async () => {
  const mine = await quarantined('ursula@example.test', 'for ursula one');
  const also = await quarantined('ursula@example.test', 'for ursula two');
  const theirs = await quarantined('victor@example.test', 'for victor');
  const shared = await quarantined('ursula@example.test,victor@example.test', 'for both');
  const ursula = await login('ursula', 'pw-of-ursula-123');
  const victor = await login('victor', 'pw-of-victor-123');

  assert.deepEqual((await as(ursula, 'GET', '/api/v1/me')).json, { name: 'ursula', role: 'user', email: 'ursula@example.test' });
  assert.equal((await as(ursula, 'GET', '/api/v1/session')).json.user.email, 'ursula@example.test');
  const list = await as(ursula, 'GET', '/api/v1/me/quarantine?queue=spam');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.mails.map((m: { id: string }) => m.id).sort(), [mine, also].sort(), 'own mail only: not victor\'s, not the shared one');
  assert.ok(!list.text.includes('victor'), 'nothing of another user leaks into the listing');
  assert.equal((await as(ursula, 'GET', '/api/v1/me/quarantine?queue=virus')).json.code, 'VALIDATION', 'the virus quarantine stays admin-only');
  assert.equal((await as(ursula, 'GET', '/api/v1/quarantine?queue=spam')).status, 403, 'the admin quarantine API is closed to users');

  for (const [id, what] of [[theirs, "another user's mail"], [shared, 'a mail shared with another recipient']]) {
    for (const path of [`/api/v1/me/quarantine/${id}`, `/api/v1/me/quarantine/${id}/deliver`, `/api/v1/me/quarantine/${id}/delete`, `/api/v1/me/quarantine/${id}/allow`]) {
      const r = await as(ursula, path.endsWith(id) ? 'GET' : 'POST', path);
      assert.equal(r.status, 404, `${what}: ${path}: ${r.text}`);
      assert.equal(r.json.code, 'MAIL_NOT_YOURS');
    }
  }
  assert.equal((await gw.api('GET', `/api/v1/mails/${theirs}`)).json.queue, 'quarantine:spam', "victor's mail is untouched");
  assert.equal((await as(victor, 'GET', `/api/v1/me/quarantine/${mine}`)).json.code, 'MAIL_NOT_YOURS');

  // Ursula's own actions: allow delivers and puts the sender on her own AWL (not the company's).
  const shown = await as(ursula, 'GET', `/api/v1/me/quarantine/${mine}`);
  assert.equal(shown.json.id, mine);
  const allowed = await as(ursula, 'POST', `/api/v1/me/quarantine/${mine}/allow`);
  assert.equal(allowed.status, 200, allowed.text);
  await waitFor(async () => (await sink.messages()).find((m) => (m.subject ?? '').includes('for ursula one')), { timeoutMs: 15_000, what: 'the allowed mail at the sink' });
  const lists = await as(ursula, 'GET', '/api/v1/me/lists');
  assert.deepEqual(lists.json.entries.map((e: { list: string; value: string; owner: string }) => [e.list, e.value, e.owner]), [['awl', 'pusher@blocked.test', 'ursula@example.test']]);
  const company = await gw.api('GET', '/api/v1/spamfinder/lists?list=awl');
  assert.deepEqual(company.json.entries, [], 'the company-wide AWL is unchanged');
  const del = await as(ursula, 'POST', `/api/v1/me/quarantine/${also}/delete`);
  assert.equal(del.json.queue, 'deleted');

  // The request is recorded once it has been answered.
  const recorded = new RegExp(`"action":"console.request","actor":"ursula","subject":"/api/v1/me/quarantine/${also}/delete"`);
  await waitFor(async () => recorded.test((await gw.api('GET', '/api/v1/compliance?category=admin&limit=200')).text), { what: "ursula's delete in the compliance log" });
});

test('own allow and block lists: add, list, remove; another user\'s entry cannot be removed', async () => {
  const ursula = await login('ursula', 'pw-of-ursula-123');
  const victor = await login('victor', 'pw-of-victor-123');
  const block = await as(victor, 'POST', '/api/v1/me/lists', { list: 'dbl', value: 'Spammy.test' });
  assert.equal(block.status, 200, block.text);
  assert.deepEqual([block.json.list, block.json.value, block.json.owner], ['dbl', 'spammy.test', 'victor@example.test']);
  const wrong = await as(ursula, 'DELETE', `/api/v1/me/lists/${block.json.id}`);
  assert.equal(wrong.status, 404);
  assert.equal(wrong.json.code, 'LIST_ENTRY_NOT_FOUND');
  assert.ok(!(await as(ursula, 'GET', '/api/v1/me/lists')).text.includes('spammy.test'));
  assert.equal((await as(ursula, 'POST', '/api/v1/me/lists', { list: 'nbl', value: '10.0.0.0/8' })).json.code, 'VALIDATION');
  assert.equal((await as(victor, 'DELETE', `/api/v1/me/lists/${block.json.id}`)).status, 204);
  assert.deepEqual((await as(victor, 'GET', '/api/v1/me/lists')).json.entries, []);
  // The appliance token is no user: it has no own mail.
  assert.equal((await gw.api('GET', '/api/v1/me/lists')).json.code, 'NO_MAIL_ADDRESS');
});
