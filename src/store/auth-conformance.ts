// Conformance suite of the console's SessionStore and ApiTokenStore contracts: every backend that
// offers them runs it unchanged (like conformance.ts for queues). Includes the promise that a
// session and a token outlive a close and reopen of the store (the appliance restarting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './store.ts';

export interface AuthConformanceOptions {
  name: string;
  /** A fresh store; `reopen()` closes it and opens the same data again. */
  open(): Promise<{ store: Store; reopen(): Promise<Store>; cleanup(): Promise<void> }>;
}

const session = (idHash: string, user: string, expiresAt: number) => ({ idHash, user, role: 'admin' as const, csrfToken: `csrf-${idHash}`, createdAt: 1000, lastSeen: 1000, expiresAt });

export function authStoreConformance(o: AuthConformanceOptions): void {
  const withStore = (name: string, fn: (s: Store, reopen: () => Promise<Store>) => Promise<void>) =>
    test(`${o.name}: auth store: ${name}`, async () => {
      const { store, reopen, cleanup } = await o.open();
      try {
        await fn(store, reopen);
      } finally {
        await cleanup();
      }
    });

  withStore('sessions: put, get, touch, remove, removeUser, purgeExpired', async (s) => {
    const ss = s.sessions!;
    assert.ok(ss, 'the store offers sessions');
    assert.equal(await ss.get('nope'), null);
    await ss.put(session('h1', 'alice', 5000));
    await ss.put(session('h2', 'alice', 9000));
    await ss.put(session('h3', 'bob', 3000));
    assert.deepEqual(await ss.get('h1'), session('h1', 'alice', 5000));
    await ss.touch('h1', 2000, 6000);
    assert.deepEqual(await ss.get('h1'), { ...session('h1', 'alice', 6000), lastSeen: 2000 });
    await ss.touch('unknown', 1, 2);
    assert.equal(await ss.purgeExpired(3000), 1, 'bob\'s session expired at 3000');
    assert.equal(await ss.get('h3'), null);
    await ss.remove('h1');
    await ss.remove('h1');
    assert.equal(await ss.get('h1'), null);
    await ss.put(session('h4', 'alice', 9000));
    assert.equal(await ss.removeUser('alice'), 2);
    assert.equal(await ss.get('h2'), null);
    assert.equal(await ss.removeUser('alice'), 0);
  });

  withStore('a session and an API token outlive a close and reopen of the store', async (_s, reopen) => {
    await _s.sessions!.put(session('kept', 'carol', 99_000));
    await _s.apiTokens!.add({ name: 'backup', role: 'auditor', tokenHash: 'th-kept', createdAt: 10, createdBy: 'admin' });
    const s = await reopen();
    assert.equal((await s.sessions!.get('kept'))?.user, 'carol');
    assert.equal((await s.apiTokens!.byHash('th-kept'))?.name, 'backup');
  });

  withStore('API tokens: unique names, found by hash, marked used, revoked', async (s) => {
    const t = s.apiTokens!;
    assert.ok(t, 'the store offers API tokens');
    assert.equal(await t.add({ name: 'nightly', role: 'admin', tokenHash: 'aa', createdAt: 10, createdBy: 'admin' }), true);
    assert.equal(await t.add({ name: 'nightly', role: 'user', tokenHash: 'bb', createdAt: 11, createdBy: 'admin' }), false, 'the name is taken');
    assert.equal(await t.add({ name: 'audit', role: 'auditor', tokenHash: 'cc', createdAt: 12, createdBy: 'root' }), true);
    assert.deepEqual((await t.list()).map((x) => [x.name, x.role, x.lastUsedAt]), [['audit', 'auditor', null], ['nightly', 'admin', null]]);
    assert.equal(await t.byHash('bb'), null);
    assert.deepEqual(await t.byHash('aa'), { name: 'nightly', role: 'admin', tokenHash: 'aa', createdAt: 10, createdBy: 'admin', lastUsedAt: null });
    await t.markUsed('nightly', 500);
    assert.equal((await t.byHash('aa'))?.lastUsedAt, 500);
    assert.equal(await t.remove('nightly'), true);
    assert.equal(await t.remove('nightly'), false);
    assert.equal(await t.byHash('aa'), null);
    assert.deepEqual((await t.list()).map((x) => x.name), ['audit']);
  });
}
