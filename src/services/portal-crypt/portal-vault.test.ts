// The portal vault over a real SQLite store: a deposit is sealed at rest; the first visit sets
// the password and re-wraps the content key under it (the appliance key alone no longer opens
// it); later mails to the same recipient open with the same password; a sender's password opens
// only its own mail; wrong passwords open nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';
import { open } from './portal-crypto.ts';
import { PortalVault } from './portal-vault.ts';

let dir: string;
let store: SqliteStore;
let vault: PortalVault;
const applianceKey = randomBytes(32);
const RAW = Buffer.from('From: alice@example.test\r\nTo: bob@partner.test\r\nSubject: figures\r\n\r\nthe secret figures\r\n');
const input = (mailId: string, over: Partial<Parameters<PortalVault['deposit']>[0]> = {}) => ({
  mailId,
  recipient: 'Bob@Partner.test',
  sender: 'alice@example.test',
  from: 'alice@example.test',
  subject: 'figures',
  raw: RAW,
  senderPassword: null,
  expiresAt: Date.now() + 60_000,
  ...over,
});

before(async () => {
  dir = await tempDir('gatehouse-portal-vault-');
  store = openSqliteStore(join(dir, 'data'));
  vault = new PortalVault(store.portal, applianceKey, 10);
});
after(async () => {
  await store.close();
  await removeTempDir(dir);
});

test('first visit sets the password and re-wraps; the next mail asks for the same password', async () => {
  const id = await vault.deposit(input('mail-1'));
  assert.equal(await vault.deposit(input('mail-1')), id, 'the same mail and recipient deposit once');
  const sealed = (await store.portal.content(id))!;
  assert.ok(!sealed.includes(Buffer.from('secret figures')), 'sealed at rest');
  const m = (await vault.get(id))!;
  assert.equal(m.wrap, 'appliance');
  assert.equal(await vault.step(m), 'set');

  assert.deepEqual(await vault.unlock(id, 'short', 'short'), { ok: false, reason: 'too-short' });
  assert.deepEqual(await vault.unlock(id, 'long enough pass', 'long enough pasS'), { ok: false, reason: 'mismatch' });
  const r = await vault.unlock(id, 'long enough pass', 'long enough pass');
  assert.ok(r.ok);
  assert.deepEqual(await vault.read(id, r.key), RAW);
  const after = (await vault.get(id))!;
  assert.equal(after.wrap, 'recipient');
  assert.ok(after.openedAt);
  assert.equal(open(applianceKey, id, after.wrappedKey), null, 'the appliance key alone no longer opens it');

  assert.deepEqual(await vault.unlock(id, 'wrong password!!'), { ok: false, reason: 'wrong-password' });
  assert.ok((await vault.unlock(id, 'long enough pass')).ok, 'opens again with the password');

  const id2 = await vault.deposit(input('mail-2'));
  const m2 = (await vault.get(id2))!;
  assert.equal(await vault.step(m2), 'enter', 'the recipient has a password already');
  assert.deepEqual(await vault.unlock(id2, 'another password'), { ok: false, reason: 'wrong-password' });
  assert.equal((await vault.get(id2))!.wrap, 'appliance', 'a wrong password re-wraps nothing');
  const r2 = await vault.unlock(id2, 'long enough pass');
  assert.ok(r2.ok);
  assert.deepEqual(await vault.read(id2, r2.key), RAW);
});

test('a sender password opens its own mail only, with no account', async () => {
  const id = await vault.deposit(input('mail-3', { recipient: 'carol@partner.test', senderPassword: 'told by phone 42' }));
  const m = (await vault.get(id))!;
  assert.equal(m.wrap, 'sender');
  assert.equal(await vault.step(m), 'enter-sender');
  assert.deepEqual(await vault.unlock(id, 'told by phone 43'), { ok: false, reason: 'wrong-password' });
  const r = await vault.unlock(id, 'told by phone 42');
  assert.ok(r.ok);
  assert.deepEqual(await vault.read(id, r.key), RAW);
  assert.equal(await store.portal.account('carol@partner.test'), null);
});

test("the secret from a portal-password visit opens the recipient's other mails, and nothing else", async () => {
  const first = await vault.deposit(input('mail-4', { recipient: 'dave@partner.test' }));
  const second = await vault.deposit(input('mail-5', { recipient: 'dave@partner.test' }));
  const senders = await vault.deposit(input('mail-6', { recipient: 'dave@partner.test', senderPassword: 'told by phone 77' }));
  const erins = await vault.deposit(input('mail-7', { recipient: 'erin@partner.test' }));
  const r = await vault.unlock(first, 'daves password!', 'daves password!');
  assert.ok(r.ok && r.secret);
  assert.deepEqual((await vault.list('Dave@partner.test')).map((m) => m.id).sort(), [first, second, senders].sort());

  const other = await vault.openWithSecret(second, 'dave@partner.test', r.secret);
  assert.ok(other.ok);
  assert.deepEqual(await vault.read(second, other.key), RAW);
  assert.equal((await vault.get(second))!.wrap, 'recipient', 're-wrapped under the password on its first opening');
  assert.ok((await vault.openWithSecret(second, 'dave@partner.test', r.secret)).ok, 'and opens again');
  assert.deepEqual(await vault.openWithSecret(senders, 'dave@partner.test', r.secret), { ok: false, reason: 'sender-password' });
  assert.deepEqual(await vault.openWithSecret(erins, 'dave@partner.test', r.secret), { ok: false, reason: 'gone' }, "another recipient's mail is not there for dave");
  const s = await vault.unlock(senders, 'told by phone 77');
  assert.ok(s.ok);
  assert.equal(s.secret, null, "a sender's password opens its own mail only");

  await store.portal.removeAccount('dave@partner.test');
  assert.deepEqual(await vault.openWithSecret(second, 'dave@partner.test', r.secret), { ok: false, reason: 'wrong-password' }, 'a reset account ends what the old secret opens');
});

test('portal ids are stable per mail and recipient and never start with "-" (they are typed on the command line)', () => {
  assert.equal(vault.idFor('m1', 'Carol@Partner.test'), vault.idFor('m1', 'carol@partner.test'));
  assert.notEqual(vault.idFor('m1', 'carol@partner.test'), vault.idFor('m2', 'carol@partner.test'));
  // One id in 64 would start with "-" as plain base64url; 2,000 mails meet that case many times.
  const ids = Array.from({ length: 2000 }, (_, i) => vault.idFor(`mail-${i}`, 'carol@partner.test'));
  assert.ok(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{23}$/.test(id)), ids.find((id) => id.startsWith('-')));
  assert.equal(new Set(ids).size, ids.length);
});
