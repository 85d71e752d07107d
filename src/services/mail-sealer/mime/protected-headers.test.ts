// Protected headers through the real stages: seal-out copies From/To/Subject into the sealed
// entity (and, with hide-subject, shows "..." outside an encrypted mail); OpenSSL sees the copies
// after decrypting; seal-in puts the sealed Subject back, over a hidden or a changed outer one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope, StageResult } from '../../../core/mail.ts';
import { newMailId } from '../../../core/ids.ts';
import type { StageContext } from '../../../flow/stage.ts';
import { openSqliteStore, type SqliteStore } from '../../../store/sqlite/open.ts';
import type { ClaimedMail } from '../../../store/store.ts';
import { createLogger } from '../../log-manager/logger.ts';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';
import { sealerConfigSchema } from '../config.ts';
import { KeyVault } from '../keys/key-vault.ts';
import { Keyring } from '../keys/keyring.ts';
import { SealerPolicies } from '../policy.ts';
import { createSealInStage } from '../seal-in.ts';
import { createSealOutStage } from '../seal-out.ts';
import { headerValue, parseEntity } from './entity.ts';

let dir: string;
let store: SqliteStore;
let keyring: Keyring;
const log = createLogger('test', []);
const MAIL = 'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: merger plans\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nthe secret plan\r\n';

before(async () => {
  dir = await tempDir('gatehouse-protected-');
  store = openSqliteStore(join(dir, 'data'));
  const { vault } = await KeyVault.open(join(dir, 'data'));
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
  const bob = await keyring.issue('bob@example.test', { actor: 'test' });
  await keyring.issue('bob@example.test', { actor: 'test', pgp: true });
  await keyring.issue('alice@example.test', { actor: 'test' });
  writeFileSync(join(dir, 'bob.pem'), (await keyring.export(bob.id, { withPrivate: true, format: 'pem', actor: 'test' })).data);
});
after(async () => {
  await store.close();
  await removeTempDir(dir);
});

const deps = (method: 'smime' | 'pgp', mode: 'none' | 'copy' | 'hide-subject') => {
  const config = sealerConfigSchema.parse({ protectedHeaders: mode, policies: [{ name: 'all', direction: 'any', recipients: ['*@example.test'], sign: 'if-possible', encrypt: 'force', method }] });
  return { keyring: () => keyring, policies: () => new SealerPolicies(config.policies), config: () => config };
};

async function run(stage: 'out' | 'in', body: Buffer, d: ReturnType<typeof deps>): Promise<{ r: StageResult; out: Buffer }> {
  const id = newMailId();
  const w = await store.bodies.create(id);
  await w.write(body);
  await w.commit();
  const env: Envelope = { sender: 'alice@example.test', direction: stage === 'out' ? 'outbound' : 'inbound', source: 'smtp', recipients: [{ address: 'bob@example.test', status: 'pending' }] };
  const now = Date.now();
  const mail: ClaimedMail = { id, queue: stage === 'out' ? 'seal-out' : 'seal-in', envelope: env, size: body.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 't', leaseUntil: now + 60_000 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
  const r = stage === 'out' ? await createSealOutStage({ ...d, hostname: 'gate.example.test' }).process(mail, ctx) : await createSealInStage(d).process(mail, ctx);
  return { r, out: r.bodyKey ? await store.bodies.read(r.bodyKey) : body };
}

test('hide-subject: "..." outside, the Subject inside for openssl, and back in place after seal-in (S/MIME)', async () => {
  const d = deps('smime', 'hide-subject');
  const { out: sealed } = await run('out', Buffer.from(MAIL), d);
  assert.equal(headerValue(parseEntity(sealed).headers, 'subject'), '...');
  assert.doesNotMatch(sealed.toString('latin1'), /merger plans/);
  writeFileSync(join(dir, 'sealed.eml'), sealed);
  const inner = execFileSync('openssl', ['cms', '-decrypt', '-in', join(dir, 'sealed.eml'), '-recip', join(dir, 'bob.pem'), '-inkey', join(dir, 'bob.pem')]).toString('latin1');
  assert.match(inner, /Subject: merger plans/);
  assert.match(inner, /protected-headers="v1"/);
  const { out: opened } = await run('in', sealed, d);
  const e = parseEntity(opened);
  assert.equal(headerValue(e.headers, 'subject'), 'merger plans');
  assert.equal(e.headers.filter((h) => h.name.toLowerCase() === 'subject').length, 1);
  assert.match(headerValue(e.headers, 'x-gatehouse-signature') ?? '', /^valid/);
  assert.match(opened.toString('latin1'), /the secret plan/);
});

test('copy (the default): the outer Subject stays; a changed outer Subject is put right by the sealed one (OpenPGP)', async () => {
  const d = deps('pgp', 'copy');
  const { out: sealed } = await run('out', Buffer.from(MAIL), d);
  assert.equal(headerValue(parseEntity(sealed).headers, 'subject'), 'merger plans');
  const forged = Buffer.from(sealed.toString('latin1').replace('Subject: merger plans', 'Subject: please pay this invoice'), 'latin1');
  const { out: opened } = await run('in', forged, d);
  assert.equal(headerValue(parseEntity(opened).headers, 'subject'), 'merger plans');
});

test('none: nothing is copied inside', async () => {
  const d = deps('smime', 'none');
  const { out: sealed } = await run('out', Buffer.from(MAIL), d);
  writeFileSync(join(dir, 'plain.eml'), sealed);
  const inner = execFileSync('openssl', ['cms', '-decrypt', '-in', join(dir, 'plain.eml'), '-recip', join(dir, 'bob.pem'), '-inkey', join(dir, 'bob.pem')]).toString('latin1');
  assert.doesNotMatch(inner, /Subject:|protected-headers/);
});
