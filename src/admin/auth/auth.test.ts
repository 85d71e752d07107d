// Sessions (idle and absolute expiry, CSRF check), the login limiter and the role table, with
// an injected clock; users over the real SQLite store (hashes, first admin, last-admin guard).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionManager, readCookie } from './sessions.ts';
import { LoginLimiter } from './login-limiter.ts';
import { roleMayCall } from './access.ts';
import { createUserControl, ensureFirstAdmin, UserError } from './users.ts';
import { openSqliteStore } from '../../store/sqlite/open.ts';

test('a session ends after the idle time, and at the latest after the maximum lifetime', async () => {
  let now = 1_000_000;
  const m = new SessionManager({ idleMs: 1000, maxMs: 2500, now: () => now });
  const s = await m.create('alice', 'admin');
  now += 900;
  assert.equal((await m.get(s.id))?.user, 'alice', 'a request within the idle time keeps it');
  now += 900;
  assert.ok(await m.get(s.id), 'the idle time restarted with the last request');
  now += 600; // 2400 after login
  assert.ok(await m.get(s.id));
  now += 200; // 2600: past the maximum even though it was used 200 ms ago
  assert.equal(await m.get(s.id), null);

  const t = await m.create('bob', 'user');
  now += 1001;
  assert.equal(await m.get(t.id), null, 'idle for longer than idleMs');
  assert.equal(await m.get('made-up'), null);
});

test('the CSRF token must match the session exactly; destroyUser ends every session of a user', async () => {
  const m = new SessionManager();
  const a = await m.create('alice', 'admin'), b = await m.create('alice', 'admin'), c = await m.create('carol', 'auditor');
  assert.equal(SessionManager.csrfMatches(a, a.csrfToken), true);
  assert.equal(SessionManager.csrfMatches(a, b.csrfToken), false);
  assert.equal(SessionManager.csrfMatches(a, undefined), false);
  assert.equal(SessionManager.csrfMatches(a, [a.csrfToken]), false);
  await m.destroyUser('alice');
  assert.equal(await m.get(a.id), null);
  assert.equal(await m.get(b.id), null);
  assert.equal((await m.get(c.id))?.user, 'carol');
  assert.equal(readCookie('x=1; gatehouse_session=abc%3D; y=2', 'gatehouse_session'), 'abc=');
  assert.equal(readCookie('x=1', 'gatehouse_session'), undefined);
});

test('failed logins are limited per user name and per address within the window', () => {
  let now = 0;
  const l = new LoginLimiter({ perIp: 4, perUser: 2, windowMs: 1000 }, () => now);
  l.failed('10.0.0.1', 'Alice');
  assert.equal(l.blockedFor('10.0.0.1', 'alice'), 0);
  now = 100;
  l.failed('10.0.0.2', 'alice');
  assert.equal(l.blockedFor('10.0.0.9', 'ALICE'), 900, 'blocked until the first failure leaves the window');
  assert.equal(l.blockedFor('10.0.0.1', 'bob'), 0);
  l.failed('10.0.0.1', 'bob');
  l.failed('10.0.0.1', 'carol');
  l.failed('10.0.0.1', 'dave');
  assert.ok(l.blockedFor('10.0.0.1', 'erin') > 0, 'four failures from one address block it for any name');
  now = 1001;
  assert.equal(l.blockedFor('10.0.0.9', 'alice'), 0, 'one failure left the window, one is still in: below the limit');
  l.failed('10.0.0.9', 'alice');
  assert.equal(l.blockedFor('10.0.0.9', 'alice'), 99);
  l.succeeded('alice');
  assert.equal(l.blockedFor('10.0.0.9', 'alice'), 0);
});

test('roles: admin everything, auditor reads logs/compliance/archive, helpdesk reads and acts on mail, user nothing', () => {
  const cases: [string, string, string, boolean][] = [
    ['admin', 'POST', '/api/v1/users', true],
    ['admin', 'POST', '/api/v1/services/spamfinder/stop', true],
    ['auditor', 'GET', '/api/v1/logs', true],
    ['auditor', 'GET', '/api/v1/compliance/verify', true],
    ['auditor', 'GET', '/api/v1/archive/search', true],
    ['auditor', 'POST', '/api/v1/compliance/verify', true],
    ['auditor', 'POST', '/api/v1/compliance', false],
    ['auditor', 'POST', '/api/v1/archive/imports', false],
    ['auditor', 'GET', '/api/v1/services', false],
    ['auditor', 'GET', '/api/v1/logsX', false],
    ['helpdesk', 'GET', '/api/v1/services', true],
    ['helpdesk', 'POST', '/api/v1/mails/abc/release', true],
    ['helpdesk', 'POST', '/api/v1/queues/deliver/flush', true],
    ['helpdesk', 'POST', '/api/v1/quarantine/abc/deliver', true],
    ['helpdesk', 'POST', '/api/v1/quarantine/abc/allow', false],
    ['helpdesk', 'POST', '/api/v1/services/spamfinder/stop', false],
    ['helpdesk', 'GET', '/api/v1/users', false],
    ['helpdesk', 'PUT', '/api/v1/maintenance', false],
    ['user', 'GET', '/api/v1/queues', false],
    ['user', 'GET', '/api/v1/session', true],
    ['user', 'DELETE', '/api/v1/session', true],
    ['user', 'GET', '/api/v1/me/quarantine', true],
    ['user', 'POST', '/api/v1/me/quarantine/abc/deliver', true],
    ['auditor', 'DELETE', '/api/v1/me/lists/3', true],
    ['user', 'GET', '/api/v1/meX', false],
    ['user', 'GET', '/api/v1/quarantine', false],
    ['helpdesk', 'GET', '/api/v1/tokens', false],
    ['auditor', 'POST', '/api/v1/tokens', false],
  ];
  for (const [role, method, path, want] of cases) assert.equal(roleMayCall(role as 'admin', method, path), want, `${role} ${method} ${path}`);
});

test('users over SQLite: hashed passwords, unique names, the first admin once, the last admin kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-users-'));
  const store = openSqliteStore(dir);
  try {
    const printed: string[] = [];
    assert.equal(await ensureFirstAdmin(store.users, dir, (l) => printed.push(l)), true);
    assert.equal(await ensureFirstAdmin(store.users, dir, (l) => printed.push(l)), false, 'only at first start');
    const pw = readFileSync(join(dir, 'initial-admin-password'), 'utf8').trim();
    assert.equal(statSync(join(dir, 'initial-admin-password')).mode & 0o777, 0o600);
    assert.ok(printed[0].includes(pw));
    assert.match((await store.users.get('admin'))!.passwordHash, /^scrypt\$/);

    const recorded: string[] = [];
    const users = createUserControl(store.users, { record: async (e) => void recorded.push(`${e.action} ${e.subject} by ${e.actor}`) });
    assert.equal((await users.authenticate('admin', pw))?.role, 'admin');
    assert.equal(await users.authenticate('admin', pw + 'x'), null);
    assert.equal(await users.authenticate('nobody', pw), null);
    await users.add({ name: 'eve', role: 'user', email: 'eve@example.test', password: 'long-enough' }, 'admin');
    await assert.rejects(users.add({ name: 'eve', role: 'admin', password: 'long-enough' }, 'admin'), (e: UserError) => e.code === 'USER_EXISTS');
    await assert.rejects(users.add({ name: 'bad name', role: 'user', password: 'long-enough' }, 'admin'), (e: UserError) => e.code === 'USER_INVALID');
    await assert.rejects(users.add({ name: 'x', role: 'root' as 'user', password: 'long-enough' }, 'admin'), (e: UserError) => e.code === 'USER_INVALID');
    await assert.rejects(users.add({ name: 'y', role: 'user', password: 'short' }, 'admin'), (e: UserError) => e.code === 'USER_INVALID');
    await users.setPassword('eve', 'another-one', 'admin');
    assert.equal(await users.authenticate('eve', 'long-enough'), null);
    assert.equal((await users.authenticate('eve', 'another-one'))?.email, 'eve@example.test');
    await assert.rejects(users.remove('admin', 'admin'), (e: UserError) => e.code === 'USER_LAST_ADMIN');
    await users.remove('eve', 'admin');
    await assert.rejects(users.remove('eve', 'admin'), (e: UserError) => e.code === 'USER_NOT_FOUND');
    assert.deepEqual(recorded, ['user.add eve by admin', 'user.passwd eve by admin', 'user.delete eve by admin']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
