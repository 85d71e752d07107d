// The keyring over a real SQLite store: the key file is made once with mode 0600 and binds each
// sealed key to its id; imports of every format are told apart; a lone private key joins its
// certificate; domain keys serve every address of the domain; exports round-trip; harvesting
// never pushes a stranger's certificate in front of a known one; the CA cannot be deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { openSqliteStore, type SqliteStore } from '../../../store/sqlite/open.ts';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';
import { SealerError } from '../sealer-error.ts';
import { issueUserCertificate, createRootCa } from './certificate-authority.ts';
import { KeyVault, sealerKeyPath } from './key-vault.ts';
import { Keyring } from './keyring.ts';
import { readPkcs12 } from './pkcs12.ts';
import { parseCertificate, pemEncode } from './x509.ts';

let dir: string;
let store: SqliteStore;
let keyring: Keyring;
const actor = 'test';
const isCode = (code: string) => (e: unknown) => e instanceof SealerError && e.code === code;

before(async () => {
  dir = await tempDir('gatehouse-keyring-');
  store = openSqliteStore(join(dir, 'data'));
  const { vault, created } = await KeyVault.open(join(dir, 'data'));
  assert.equal(created, true);
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
});
after(async () => {
  await store.close();
  await removeTempDir(dir);
});

test('the key file is made once, mode 0600, and a sealed key opens only under its own id', async () => {
  assert.equal(statSync(sealerKeyPath(join(dir, 'data'))).mode & 0o777, 0o600);
  const again = await KeyVault.open(join(dir, 'data'));
  assert.equal(again.created, false);
  const sealed = again.vault.seal('id-a', Buffer.from('secret'));
  assert.deepEqual(again.vault.open('id-a', sealed), Buffer.from('secret'));
  assert.throws(() => again.vault.open('id-b', sealed), isCode('KEY_VAULT'));
  assert.throws(() => KeyVault.fromKey(Buffer.alloc(32, 1)).open('id-a', sealed), isCode('KEY_VAULT'));
});

test('the CA is made once; issue gives a certificate it signed; the CA cannot be deleted', async () => {
  const ca = await keyring.ensureCa();
  assert.equal((await keyring.ensureCa()).id, ca.id);
  assert.equal(ca.isCa, true);
  const issued = await keyring.issue('Carol@Example.test', { actor });
  assert.deepEqual(issued.addresses, ['carol@example.test']);
  assert.equal(issued.hasPrivateKey, true);
  const signer = await keyring.smimeSigner('carol@example.test');
  assert.ok(signer);
  assert.equal(signer.chain.length, 1, 'the CA certificate comes along');
  const trust = await keyring.trustOf(parseCertificate(signer.certificate), []);
  assert.equal(trust.trusted, true);
  await assert.rejects(keyring.delete(ca.id, actor), isCode('KEY_UNUSABLE'));
  assert.equal(await keyring.count(), 1, 'the CA does not count as a key');
});

test('import tells PEM, lone key, PKCS#12 and OpenPGP apart; export round-trips', async () => {
  const otherCa = createRootCa('Other CA');
  const dave = issueUserCertificate(otherCa, 'dave@partner.test', 5);
  // Certificate first, its private key later.
  const [cert] = await keyring.import(Buffer.from(pemEncode('CERTIFICATE', dave.der)), { actor });
  assert.equal(cert.hasPrivateKey, false);
  const [withKey] = await keyring.import(Buffer.from(dave.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string), {
    actor,
    password: 'pw',
  });
  assert.equal(withKey.id, cert.id);
  assert.equal(withKey.hasPrivateKey, true);
  await assert.rejects(keyring.import(Buffer.from('-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n'), { actor }), isCode('KEY_PASSWORD'));
  await assert.rejects(keyring.import(Buffer.from('hello, not a key'), { actor }), isCode('KEY_FORMAT'));

  const p12 = await keyring.export(cert.id, { withPrivate: true, password: 'p12', actor });
  assert.equal(p12.format, 'pkcs12');
  const back = readPkcs12(p12.data, 'p12');
  assert.equal(createPublicKey(back.privateKey!).export({ type: 'spki', format: 'der' }).toString('hex'), createPublicKey(dave.privateKey).export({ type: 'spki', format: 'der' }).toString('hex'));
  await assert.rejects(keyring.export(cert.id, { withPrivate: true, actor }), isCode('KEY_PASSWORD'));
  await keyring.delete(cert.id, actor);
  // The exported bundle imports again with its password, key included.
  const again = await keyring.import(p12.data, { password: 'p12', actor });
  assert.ok(again.some((k) => k.id === cert.id && k.hasPrivateKey));

  const { privateKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ email: 'erin@pgp.test' }], passphrase: 'pgp-pw', format: 'armored' });
  await assert.rejects(keyring.import(Buffer.from(privateKey), { actor }), isCode('KEY_PASSWORD'));
  const [pgp] = await keyring.import(Buffer.from(privateKey), { password: 'pgp-pw', actor });
  assert.equal(pgp.kind, 'pgp');
  assert.equal(pgp.hasPrivateKey, true);
  assert.ok(await keyring.pgpSigner('erin@pgp.test'));
  assert.ok(await keyring.pgpRecipient('erin@pgp.test'));
  const pub = await keyring.export(pgp.id, { actor });
  assert.match(pub.data.toString(), /BEGIN PGP PUBLIC KEY BLOCK/);
});

test('a domain certificate serves every address of its domain; an own certificate beats it', async () => {
  const dom = issueUserCertificate(createRootCa('Gateway CA'), 'gateway@domain.test', 5);
  const [k] = await keyring.import(Buffer.from(pemEncode('CERTIFICATE', dom.der)), { addresses: ['@domain.test'], actor });
  assert.deepEqual(k.addresses, ['@domain.test']);
  assert.equal((await keyring.smimeRecipient('anyone@domain.test'))?.id, k.id);
  const own = issueUserCertificate(createRootCa('Own CA'), 'frank@domain.test', 5);
  const [o] = await keyring.import(Buffer.from(pemEncode('CERTIFICATE', own.der)), { actor });
  assert.equal((await keyring.smimeRecipient('frank@domain.test'))?.id, o.id);
});

test('harvesting: a stranger only gets in when nothing is known for the address, and never twice', async () => {
  const strangerCa = createRootCa('Stranger CA');
  const first = parseCertificate(issueUserCertificate(strangerCa, 'gina@harvest.test', 5).der);
  const second = parseCertificate(issueUserCertificate(strangerCa, 'gina@harvest.test', 5).der);
  assert.equal(await keyring.harvestCertificate(first, false), true);
  assert.equal(await keyring.harvestCertificate(first, false), false, 'known already');
  assert.equal(await keyring.harvestCertificate(second, false), false, 'an untrusted second certificate does not replace the first');
  assert.equal(await keyring.harvestCertificate(second, true), true, 'a trusted one is kept');
  const known = await keyring.list({ address: 'gina@harvest.test' });
  assert.deepEqual(known.map((k) => k.source), ['harvested', 'harvested']);
});

test('opened signing keys and chains are kept between mails, and dropped when the keyring changes', async () => {
  const smime = await keyring.issue('cache@example.test', { actor });
  const pgp = await keyring.issue('cache@example.test', { actor, pgp: true });
  const a = (await keyring.smimeSigner('cache@example.test'))!;
  const b = (await keyring.smimeSigner('cache@example.test'))!;
  assert.equal(a.privateKey, b.privateKey, 'the S/MIME key is unsealed once');
  assert.equal(a.chain, b.chain, 'the chain is worked out once');
  assert.equal(a.chain.length, 1);
  const p1 = (await keyring.pgpSigner('cache@example.test'))!;
  const p2 = (await keyring.pgpSigner('cache@example.test'))!;
  assert.equal(p1.key, p2.key, 'the OpenPGP key is unlocked once');
  await keyring.delete(pgp.id, actor);
  assert.equal(await keyring.pgpSigner('cache@example.test'), null, 'a deleted key is not served from memory');
  await keyring.delete(smime.id, actor);
  assert.equal(await keyring.smimeSigner('cache@example.test'), null);
});
