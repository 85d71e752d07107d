// CMS as the sealer makes and reads it, checked against OpenSSL both ways: signatures (detached,
// attributes sorted as DER wants, a changed content or signature refused), enveloped-data with
// AES-CBC and AES-GCM, RSA PKCS#1 v1.5 and OAEP key transport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCa, issueUserCertificate, type IssuedCertificate } from '../keys/certificate-authority.ts';
import { pemEncode } from '../keys/x509.ts';
import { SealerError } from '../sealer-error.ts';
import { checkSignedData, createSignedData } from './cms-signed.ts';
import { createEnvelopedData, envelopeRecipients, openEnvelopedData } from './cms-enveloped.ts';
import { rsaPkcs1DecryptKey, rsaPkcs1Encrypt } from './rsa-key-transport.ts';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';

let dir: string;
let ca: IssuedCertificate;
let alice: IssuedCertificate;
let bob: IssuedCertificate;
const f = (n: string) => join(dir, n);
const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const content = Buffer.from('Content-Type: text/plain; charset=us-ascii\r\n\r\nthe content\r\n');

before(async () => {
  dir = await tempDir('gatehouse-cms-');
  ca = createRootCa('Test CA');
  alice = issueUserCertificate(ca, 'alice@example.test', 10);
  bob = issueUserCertificate(ca, 'bob@example.test', 10);
  writeFileSync(f('ca.pem'), pemEncode('CERTIFICATE', ca.der));
  writeFileSync(f('alice.pem'), pemEncode('CERTIFICATE', alice.der));
  writeFileSync(f('alice.key'), alice.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(f('content'), content);
});
after(() => removeTempDir(dir));

test('a detached signature verifies in openssl (with the chain) and here; changed content does not', () => {
  const sig = createSignedData(content, { certificate: alice.der, chain: [ca.der], privateKey: alice.privateKey });
  writeFileSync(f('sig.der'), sig);
  openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', f('sig.der'), '-content', f('content'), '-CAfile', f('ca.pem'), '-purpose', 'smimesign', '-out', '/dev/null']);
  const ok = checkSignedData(sig, content);
  assert.equal(ok.intact, true);
  assert.deepEqual(ok.signer?.addresses, ['alice@example.test']);
  assert.equal(ok.certificates.length, 2);
  const bad = checkSignedData(sig, Buffer.from(content.toString().replace('the', 'a')));
  assert.equal(bad.intact, false);
  assert.match(bad.reason ?? '', /does not match the signed digest/);
});

test('signatures openssl makes (detached, opaque, RSA-PSS) are checked here', () => {
  openssl(['cms', '-sign', '-binary', '-outform', 'DER', '-in', f('content'), '-out', f('o1.der'), '-signer', f('alice.pem'), '-inkey', f('alice.key')]);
  assert.equal(checkSignedData(readFileSync(f('o1.der')), content).intact, true);
  openssl(['cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', f('content'), '-out', f('o2.der'), '-signer', f('alice.pem'), '-inkey', f('alice.key'), '-keyopt', 'rsa_padding_mode:pss']);
  const opaque = checkSignedData(readFileSync(f('o2.der')), null);
  assert.equal(opaque.intact, true, opaque.reason ?? '');
  assert.deepEqual(opaque.content, content);
});

test('a signature value that was changed is refused', () => {
  const sig = createSignedData(content, { certificate: alice.der, chain: [], privateKey: alice.privateKey });
  const broken = Buffer.from(sig);
  broken[broken.length - 5] ^= 0x01; // inside the signature value, the last field
  const r = checkSignedData(broken, content);
  assert.equal(r.intact, false);
  assert.equal(r.reason, 'the signature value does not verify');
});

for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
  for (const keyTransport of ['rsa-pkcs1', 'rsa-oaep'] as const) {
    test(`enveloped-data ${cipher} / ${keyTransport}: openssl decrypts it, and so does the sealer`, () => {
      const env = createEnvelopedData(content, [bob.der, alice.der], { cipher, keyTransport });
      writeFileSync(f('env.der'), env);
      const out = openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', f('env.der'), '-recip', f('alice.pem'), '-inkey', f('alice.key')]);
      assert.deepEqual(out, content);
      assert.equal(envelopeRecipients(env).length, 2);
      const r = openEnvelopedData(env, [{ id: 'alice', certificate: alice.der, privateKey: () => alice.privateKey }]);
      assert.deepEqual(r.content, content);
      assert.equal(r.key.id, 'alice');
    });
  }
}

for (const [label, opts, after] of [
  ['defaults (AES-256-CBC, PKCS#1 v1.5)', [], []],
  ['-aes-256-gcm (AuthEnvelopedData)', ['-aes-256-gcm'], []],
  ['-aes128', ['-aes128'], []],
  ['-des3', ['-des3'], []],
  ['RSAES-OAEP', [], ['-keyopt', 'rsa_padding_mode:oaep']],
] as const) {
  test(`what openssl cms -encrypt makes with ${label} opens here`, () => {
    openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', f('content'), '-out', f('in.der'), ...opts, '-recip', f('alice.pem'), ...after]);
    const r = openEnvelopedData(readFileSync(f('in.der')), [{ id: 'alice', certificate: alice.der, privateKey: () => alice.privateKey }]);
    assert.deepEqual(r.content, content);
  });
}

test('a message for nobody we hold is NO_KEY; a damaged one is DECRYPT_FAILED, never wrong content', () => {
  const env = createEnvelopedData(content, [bob.der], { cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' });
  assert.throws(
    () => openEnvelopedData(env, [{ id: 'alice', certificate: alice.der, privateKey: () => alice.privateKey }]),
    (e: unknown) => e instanceof SealerError && e.code === 'NO_KEY',
  );
  const damaged = Buffer.from(env);
  damaged[damaged.length - 1] ^= 0xff; // the last block of the encrypted content
  assert.throws(
    () => openEnvelopedData(damaged, [{ id: 'bob', certificate: bob.der, privateKey: () => bob.privateKey }]),
    (e: unknown) => e instanceof SealerError && e.code === 'DECRYPT_FAILED',
  );
});

test('PKCS#1 v1.5 key transport: a bad padding yields a stable pseudo-random key, not an error (implicit rejection)', () => {
  const cek = Buffer.alloc(32, 7);
  const good = rsaPkcs1Encrypt(createPublicKey(alice.privateKey), cek);
  assert.deepEqual(rsaPkcs1DecryptKey(alice.privateKey, good, 32), cek);
  const junk = Buffer.alloc(256, 0x42);
  const a = rsaPkcs1DecryptKey(alice.privateKey, junk, 32);
  assert.equal(a.length, 32);
  assert.deepEqual(rsaPkcs1DecryptKey(alice.privateKey, junk, 32), a, 'the same ciphertext gives the same key');
  assert.notDeepEqual(a, cek);
  // A right padding around a key of the wrong length is rejected the same way.
  assert.notDeepEqual(rsaPkcs1DecryptKey(alice.privateKey, good, 16), cek.subarray(16));
});
