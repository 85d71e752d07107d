// The console's API side end to end on the real gateway: the first admin made at first start,
// login with cookie + CSRF token, logout, roles (admin, auditor, helpdesk, user) checked on the
// API itself, users managed through the CLI, login rate limiting, and the console files served.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type Gateway } from '../helpers/gateway.ts';

let gw: Gateway;
let adminPassword: string;

before(async () => {
  gw = await startGateway({ config: { hostname: 'gate.example.test', domains: ['example.test'] } });
  adminPassword = readFileSync(join(gw.dataDir, 'initial-admin-password'), 'utf8').trim();
});

after(async () => {
  await gw?.dispose();
});

interface Login {
  status: number;
  cookie: string;
  csrf: string;
  setCookie: string;
  json: any;
}

async function login(username: string, password: string): Promise<Login> {
  const r = await gw.api('POST', '/api/v1/session', { username, password }, { token: null });
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { status: r.status, cookie: setCookie.split(';')[0], csrf: r.json?.csrfToken ?? '', setCookie, json: r.json };
}

/** A request made the way the console makes it: the cookie, and the CSRF token unless told otherwise. */
function asUser(s: Login, method: string, path: string, body?: unknown, csrf: string | null = s.csrf) {
  const headers: Record<string, string> = { cookie: s.cookie };
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  return gw.api(method, path, body, { token: null, headers });
}

test('the first admin is created at first start, its password printed once and kept in a 0600 file', async () => {
  assert.equal(statSync(join(gw.dataDir, 'initial-admin-password')).mode & 0o777, 0o600);
  assert.ok(adminPassword.length >= 16);
  const printed = gw.logs().stdout.split('\n').filter((l) => l.includes(adminPassword));
  assert.equal(printed.length, 1, 'the password is printed exactly once');
  const users = await gw.api('GET', '/api/v1/users');
  assert.deepEqual(users.json.users.map((u: { name: string; role: string }) => [u.name, u.role]), [['admin', 'admin']]);
  assert.ok(!JSON.stringify(users.json).includes('scrypt'), 'no hash leaves the appliance');
});

test('login sets an HttpOnly SameSite=Strict cookie and returns a CSRF token; a wrong password is refused', async () => {
  const bad = await login('admin', 'not-the-password');
  assert.equal(bad.status, 401);
  assert.equal(bad.json.code, 'LOGIN_FAILED');
  assert.equal(bad.setCookie, '');

  const s = await login('admin', adminPassword);
  assert.equal(s.status, 200);
  assert.match(s.setCookie, /^gatehouse_session=[^;]+;/);
  assert.match(s.setCookie, /HttpOnly/);
  assert.match(s.setCookie, /SameSite=Strict/);
  assert.doesNotMatch(s.setCookie, /Secure/, 'plain HTTP on loopback: no Secure flag');
  assert.ok(s.csrf.length >= 20);
  assert.deepEqual(s.json.user, { name: 'admin', role: 'admin', email: null });

  const me = await asUser(s, 'GET', '/api/v1/session');
  assert.equal(me.json.user.name, 'admin');
  assert.equal(me.json.csrfToken, s.csrf);
  assert.equal((await asUser(s, 'GET', '/api/v1/services')).status, 200);
});

test('a request that changes something needs the CSRF token with the cookie', async () => {
  const s = await login('admin', adminPassword);
  const none = await asUser(s, 'POST', '/api/v1/services/smtp-sender/restart', undefined, null);
  assert.equal(none.status, 403);
  assert.equal(none.json.code, 'CSRF_FAILED');
  const wrong = await asUser(s, 'POST', '/api/v1/services/smtp-sender/restart', undefined, s.csrf.slice(1) + 'x');
  assert.equal(wrong.json.code, 'CSRF_FAILED');
  const other = await login('admin', adminPassword);
  assert.equal((await asUser(s, 'POST', '/api/v1/services/smtp-sender/restart', undefined, other.csrf)).json.code, 'CSRF_FAILED', "another session's token does not do");
  const ok = await asUser(s, 'POST', '/api/v1/services/smtp-sender/restart');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.name, 'smtp-sender');
  // The bearer token (the CLI) needs no CSRF token and still acts as admin.
  assert.equal((await gw.api('POST', '/api/v1/services/smtp-sender/restart')).status, 200);
});

test('users are managed through the CLI, and every role gets exactly its rights on the API', async () => {
  for (const [name, role] of [['helen', 'helpdesk'], ['audrey', 'auditor'], ['ursula', 'user']]) {
    const r = await gw.cli(['users', 'add', name, '--role', role, '--email', `${name}@example.test`, '--password-stdin'], { input: `pw-of-${name}-123\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  const list = await gw.cli(['users', 'list']);
  assert.match(list.stdout, /helen\s+helpdesk\s+helen@example\.test/);
  assert.match(list.stdout, /ursula\s+user/);
  const dup = await gw.cli(['users', 'add', 'helen', '--role', 'user', '--password-stdin'], { input: 'another-password\n' });
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /USER_EXISTS|exists/);

  const helen = await login('helen', 'pw-of-helen-123');
  const audrey = await login('audrey', 'pw-of-audrey-123');
  const ursula = await login('ursula', 'pw-of-ursula-123');
  const expect = async (s: Login, method: string, path: string, status: number, body?: unknown) => {
    const r = await asUser(s, method, path, body);
    assert.equal(r.status, status, `${s.json.user.role} ${method} ${path}: ${r.text}`);
    if (status === 403) assert.equal(r.json.code, 'FORBIDDEN');
  };
  // helpdesk: reads, and the mail actions; no service actions, no users.
  await expect(helen, 'GET', '/api/v1/services', 200);
  await expect(helen, 'GET', '/api/v1/queues', 200);
  await expect(helen, 'GET', '/api/v1/logs?limit=5', 200);
  await expect(helen, 'POST', '/api/v1/queues/deliver/flush', 200, {});
  await expect(helen, 'POST', '/api/v1/services/spamfinder/stop', 403);
  await expect(helen, 'GET', '/api/v1/users', 403);
  await expect(helen, 'GET', '/api/v1/compliance', 403);
  // auditor: read-only on logs, compliance log and archive.
  await expect(audrey, 'GET', '/api/v1/logs?limit=5', 200);
  await expect(audrey, 'GET', '/api/v1/compliance', 200);
  await expect(audrey, 'GET', '/api/v1/services', 403);
  await expect(audrey, 'GET', '/api/v1/queues', 403);
  await expect(audrey, 'POST', '/api/v1/queues/deliver/flush', 403, {});
  // user: nothing of the admin API, only its own session.
  await expect(ursula, 'GET', '/api/v1/session', 200);
  await expect(ursula, 'GET', '/api/v1/services', 403);
  await expect(ursula, 'GET', '/api/v1/mails', 403);
  await expect(ursula, 'GET', '/api/v1/logs', 403);
  await expect(ursula, 'POST', '/api/v1/users', 403, { name: 'x', role: 'admin', password: 'xxxxxxxxxx' });
  // The service state is untouched by the refused stop.
  assert.equal((await gw.api('GET', '/api/v1/services/spamfinder')).json.state, 'running');
});

test('logout ends the session; a password change or deletion ends the user\'s sessions', async () => {
  const s = await login('admin', adminPassword);
  const out = await asUser(s, 'DELETE', '/api/v1/session');
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  const after = await asUser(s, 'GET', '/api/v1/services');
  assert.equal(after.status, 401);
  assert.equal(after.json.code, 'UNAUTHORIZED');

  const helen = await login('helen', 'pw-of-helen-123');
  const pw = await gw.cli(['users', 'passwd', 'helen', '--password-stdin'], { input: 'a-new-password-9\n' });
  assert.equal(pw.code, 0, pw.stderr);
  assert.equal((await asUser(helen, 'GET', '/api/v1/services')).status, 401);
  assert.equal((await login('helen', 'pw-of-helen-123')).status, 401);
  assert.equal((await login('helen', 'a-new-password-9')).status, 200);

  const del = await gw.cli(['users', 'delete', 'helen']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal((await login('helen', 'a-new-password-9')).status, 401);
  const last = await gw.cli(['users', 'delete', 'admin']);
  assert.equal(last.code, 1);
  assert.match(last.stderr, /last admin/);
});

test('logins and user changes are in the compliance log', async () => {
  const logins = (await gw.api('GET', '/api/v1/compliance?category=login&limit=100')).text;
  assert.match(logins, /"action":"login"/);
  assert.match(logins, /"action":"login.failed"/);
  assert.match(logins, /"action":"logout"/);
  const admin = (await gw.api('GET', '/api/v1/compliance?category=admin&limit=100')).text;
  assert.match(admin, /"action":"user.add"/);
  assert.match(admin, /"action":"user.delete"/);
  // A change made through a console session names the user, not only "admin-api".
  assert.match(admin, /"action":"console.request","actor":"admin","subject":"\/api\/v1\/services\/smtp-sender\/restart"/);
  assert.match(admin, /"action":"console.request","actor":"helen","subject":"\/api\/v1\/queues\/deliver\/flush"/);
});

test('the console is served under / with a fallback to index.html; unknown API paths stay problems', async () => {
  const index = await fetch(`${gw.adminUrl}/`);
  assert.equal(index.status, 200);
  assert.match(await index.text(), /<div id="root">/);
  const deep = await fetch(`${gw.adminUrl}/services`);
  assert.equal(deep.status, 200);
  assert.match(deep.headers.get('content-type') ?? '', /text\/html/);
  const api = await gw.api('GET', '/api/v1/no-such-route');
  assert.equal(api.status, 404);
  assert.equal(api.json.code, 'NOT_FOUND');
  assert.equal((await gw.api('GET', '/api/v1/services', undefined, { token: null })).status, 401);
});

test('failed logins are rate limited per user name (and then even the right password waits)', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await login('audrey', `wrong-${i}`)).status, 401);
  const limited = await gw.api('POST', '/api/v1/session', { username: 'audrey', password: 'pw-of-audrey-123' }, { token: null });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.code, 'LOGIN_RATE_LIMITED');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  // Another user from the same address is not locked out by audrey's failures.
  assert.equal((await login('ursula', 'pw-of-ursula-123')).status, 200);
});
