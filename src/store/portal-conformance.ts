// Conformance suite of the PortalStore contract (encryption portal messages and accounts): every
// backend that keeps a portal runs it unchanged, like conformance.ts for queues and bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PortalMessage, Store } from './store.ts';

const message = (id: string, over: Partial<PortalMessage> = {}): Omit<PortalMessage, 'createdAt' | 'openedAt' | 'replies'> => ({
  id,
  mailId: `mail-${id}`,
  recipient: 'Bob@Partner.test',
  sender: 'alice@example.test',
  from: 'Alice <alice@example.test>',
  subject: 'Quarterly figures',
  wrap: 'appliance',
  wrappedKey: Buffer.from('wrapped-1'),
  salt: null,
  size: 1234,
  expiresAt: 10_000,
  ...over,
});

export function portalStoreConformance(o: { name: string; open(): Promise<{ store: Store; cleanup(): Promise<void> }> }): void {
  const withStore = (name: string, fn: (s: NonNullable<Store['portal']>) => Promise<void>) =>
    test(`${o.name}: portal store: ${name}`, async () => {
      const { store, cleanup } = await o.open();
      try {
        assert.ok(store.portal, 'the backend keeps a portal');
        await fn(store.portal);
      } finally {
        await cleanup();
      }
    });

  withStore('a deposit is stored once, with its content; the recipient is lower-cased', async (p) => {
    assert.equal(await p.deposit(message('m1'), Buffer.from('sealed content'), 100), true);
    assert.equal(await p.deposit(message('m1', { subject: 'other' }), Buffer.from('other'), 200), false);
    const m = await p.get('m1');
    assert.ok(m);
    assert.equal(m.recipient, 'bob@partner.test');
    assert.equal(m.subject, 'Quarterly figures');
    assert.equal(m.createdAt, 100);
    assert.equal(m.openedAt, null);
    assert.equal(m.replies, 0);
    assert.deepEqual(m.wrappedKey, Buffer.from('wrapped-1'));
    assert.deepEqual(await p.content('m1'), Buffer.from('sealed content'));
    assert.equal(await p.get('nope'), null);
    assert.equal(await p.content('nope'), null);
  });

  withStore('rewrap is a compare-and-set on the wrap and sets openedAt once', async (p) => {
    await p.deposit(message('m1'), Buffer.from('x'), 100);
    const to = { wrap: 'recipient' as const, wrappedKey: Buffer.from('wrapped-2'), salt: null };
    assert.equal(await p.rewrap('m1', 'appliance', to, 500), true);
    assert.equal(await p.rewrap('m1', 'appliance', { ...to, wrappedKey: Buffer.from('late') }, 600), false);
    const m = (await p.get('m1'))!;
    assert.equal(m.wrap, 'recipient');
    assert.deepEqual(m.wrappedKey, Buffer.from('wrapped-2'));
    assert.equal(m.openedAt, 500);
    await p.markOpened('m1', 900);
    assert.equal((await p.get('m1'))!.openedAt, 500);
    assert.equal(await p.rewrap('gone', 'appliance', to, 1), false);
  });

  withStore('a sender-password message keeps its salt; markOpened and replies count', async (p) => {
    await p.deposit(message('m2', { wrap: 'sender', salt: Buffer.from('salt-bytes') }), Buffer.from('x'), 100);
    await p.markOpened('m2', 300);
    await p.addReply('m2');
    await p.addReply('m2');
    const m = (await p.get('m2'))!;
    assert.deepEqual([m.wrap, m.salt?.toString(), m.openedAt, m.replies], ['sender', 'salt-bytes', 300, 2]);
  });

  withStore('list newest first, by recipient; remove; purge removes only the expired', async (p) => {
    await p.deposit(message('a', { expiresAt: 1_000 }), Buffer.from('x'), 100);
    await p.deposit(message('b', { recipient: 'carol@partner.test', expiresAt: 5_000 }), Buffer.from('x'), 200);
    await p.deposit(message('c', { expiresAt: 9_000 }), Buffer.from('x'), 300);
    assert.deepEqual((await p.list()).map((m) => m.id), ['c', 'b', 'a']);
    assert.deepEqual((await p.list({ recipient: 'BOB@partner.test' })).map((m) => m.id), ['c', 'a']);
    assert.deepEqual((await p.list({ limit: 1, offset: 1 })).map((m) => m.id), ['b']);
    assert.equal(await p.purge(5_001), 2);
    assert.deepEqual((await p.list()).map((m) => m.id), ['c']);
    assert.equal(await p.remove('c'), true);
    assert.equal(await p.remove('c'), false);
    assert.deepEqual(await p.list(), []);
  });

  withStore('accounts: added once per address, read back, removed', async (p) => {
    const a = { address: 'Bob@Partner.test', salt: Buffer.from('s1'), kdf: 'scrypt:N=32768,r=8,p=1', verifier: Buffer.from('v1'), createdAt: 42 };
    assert.equal(await p.addAccount(a), true);
    assert.equal(await p.addAccount({ ...a, verifier: Buffer.from('v2') }), false);
    const got = await p.account('bob@partner.test');
    assert.ok(got);
    assert.deepEqual([got.address, got.salt.toString(), got.kdf, got.verifier.toString(), got.createdAt], ['bob@partner.test', 's1', a.kdf, 'v1', 42]);
    assert.equal(await p.removeAccount('BOB@partner.test'), true);
    assert.equal(await p.account('bob@partner.test'), null);
  });
}
