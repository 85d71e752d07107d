// Sessions and API tokens over the real SQLite store: a session made before a "restart" (a new
// SessionManager on a reopened store) still works, ends with logout (on every node) and with destroyUser; an API
// token is shown once, stored only hashed, acts with its role and stops working when revoked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionManager } from './sessions.ts';
import { createApiTokenControl, TOKEN_PREFIX } from './api-tokens.ts';
import { createOwnLists } from './own-lists.ts';
import { UserError } from './roles.ts';
import { openSqliteStore } from '../../store/sqlite/open.ts';

test('a session survives a restart of the gateway (new manager, reopened store) and ends as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sessions-'));
  let store = openSqliteStore(dir);
  try {
    let now = 1_000_000;
    const first = new SessionManager({ idleMs: 60_000, maxMs: 600_000, now: () => now, store: store.sessions });
    const s = await first.create('alice', 'admin');
    const other = await first.create('alice', 'admin');
    await store.close();
    store = openSqliteStore(dir);
    const db = readFileSync(join(dir, 'gatehouse.db'));
    assert.equal(db.includes(Buffer.from(s.id)), false, 'the session id itself is never stored');

    now += 30_000;
    const second = new SessionManager({ idleMs: 60_000, maxMs: 600_000, now: () => now, store: store.sessions });
    const back = await second.get(s.id);
    assert.equal(back?.user, 'alice');
    assert.equal(back?.csrfToken, s.csrfToken, 'the CSRF token is the same after the restart');
    await second.destroy(s.id);
    assert.equal(await new SessionManager({ now: () => now, store: store.sessions }).get(s.id), null, 'logout is kept');
    now += 61_000;
    assert.equal(await new SessionManager({ idleMs: 60_000, now: () => now, store: store.sessions }).get(other.id), null, 'idle expiry holds across restarts');
    // Two managers on one store (two nodes): a logout through one ends the session on the other.
    const onA = new SessionManager({ now: () => now, store: store.sessions }), onB = new SessionManager({ now: () => now, store: store.sessions });
    const shared = await onA.create('carol', 'helpdesk');
    assert.equal((await onB.get(shared.id))?.user, 'carol');
    await onA.destroy(shared.id);
    assert.equal(await onB.get(shared.id), null, 'the other node does not keep a logged-out session alive');
    const third = await second.create('bob', 'user');
    await second.destroyUser('bob');
    assert.equal(await new SessionManager({ now: () => now, store: store.sessions }).get(third.id), null);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('API tokens: shown once, stored hashed, unique names, revoked at once, recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tokens-'));
  const store = openSqliteStore(dir);
  try {
    const recorded: string[] = [];
    const tokens = createApiTokenControl(store.apiTokens, { record: async (e) => void recorded.push(`${e.action} ${e.subject} by ${e.actor}`) });
    const t = await tokens.create('nightly-export', 'auditor', 'admin');
    assert.ok(t.token.startsWith(TOKEN_PREFIX) && t.token.length > 40);
    assert.deepEqual(await tokens.authenticate(t.token), { name: 'nightly-export', role: 'auditor' });
    assert.equal(await tokens.authenticate(t.token + 'x'), null);
    assert.equal(await tokens.authenticate('not-a-token'), null);
    const listed = await tokens.list();
    assert.equal(listed.length, 1);
    assert.ok(!JSON.stringify(listed).includes(t.token.slice(TOKEN_PREFIX.length, 20)), 'a listing holds no token');
    assert.equal(typeof listed[0].lastUsedAt, 'number', 'use is recorded');
    assert.ok(!(await store.apiTokens.list()).some((x) => x.tokenHash.includes(t.token)));
    await assert.rejects(tokens.create('nightly-export', 'admin', 'admin'), (e: UserError) => e.code === 'TOKEN_EXISTS');
    await assert.rejects(tokens.create('bad name', 'admin', 'admin'), (e: UserError) => e.code === 'USER_INVALID');
    await assert.rejects(tokens.create('x', 'root' as 'admin', 'admin'), (e: UserError) => e.code === 'USER_INVALID');
    await tokens.revoke('nightly-export', 'admin');
    assert.equal(await tokens.authenticate(t.token), null);
    await assert.rejects(tokens.revoke('nightly-export', 'admin'), (e: UserError) => e.code === 'TOKEN_NOT_FOUND');
    assert.deepEqual(recorded, ['token.create nightly-export by admin', 'token.revoke nightly-export by admin']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('own lists: a user reads and changes only the entries of their own address', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-own-lists-'));
  const store = openSqliteStore(dir);
  try {
    const own = createOwnLists(store.spam);
    const a = await own.add('Ursula@Example.test', 'awl', 'Friend@Partner.test', null, 'ursula');
    assert.deepEqual([a.owner, a.value, a.list], ['ursula@example.test', 'friend@partner.test', 'awl']);
    const b = await own.add('victor@example.test', 'dbl', 'spam.test', null, 'victor');
    await store.spam.addListEntry({ list: 'awl', value: 'company@partner.test', createdBy: 'admin' });
    assert.deepEqual((await own.list('ursula@example.test')).map((e) => e.value), ['friend@partner.test']);
    await assert.rejects(own.remove('ursula@example.test', b.id, 'ursula'), (e: UserError) => e.code === 'LIST_ENTRY_NOT_FOUND');
    assert.equal((await own.list('victor@example.test')).length, 1, "victor's entry is still there");
    await assert.rejects(own.add('ursula@example.test', 'nwl' as 'awl', '10.0.0.0/8', null, 'ursula'), (e: UserError) => e.code === 'USER_INVALID');
    await assert.rejects(own.add('ursula@example.test', 'awl', 'not an address', null, 'ursula'), (e: UserError) => e.code === 'USER_INVALID');
    await assert.rejects(own.list(''), (e: UserError) => e.code === 'NO_MAIL_ADDRESS');
    await own.remove('ursula@example.test', a.id, 'ursula');
    assert.deepEqual(await own.list('ursula@example.test'), []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
