// EC (P-256 and P-384) S/MIME recipients: enveloped-data with ECDH key agreement checked against
// OpenSSL both ways (openssl's default SHA-1 KDF and SHA-256, AES-CBC and AES-GCM content), a
// mail to an RSA and an EC recipient at once, and the keyring choosing an EC certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';
import { openSqliteStore } from '../../../store/sqlite/open.ts';
import { createRootCa, issueUserCertificate } from '../keys/certificate-authority.ts';
import { KeyVault } from '../keys/key-vault.ts';
import { Keyring } from '../keys/keyring.ts';
import { pemEncode } from '../keys/x509.ts';
import { SealerError } from '../sealer-error.ts';
import { createEnvelopedData, envelopeRecipients, openEnvelopedData } from './cms-enveloped.ts';

let dir: string;
const f = (n: string) => join(dir, n);
const openssl = (args: string[], input?: Buffer) => execFileSync('openssl', args, { input, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
const content = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nGr\xc3\xbc\xc3\x9fe, the EC content\r\n', 'latin1');
const der = (name: string) => Buffer.from(new X509Certificate(readFileSync(f(`${name}.pem`))).raw);
const keyOf = (name: string) => ({ certificate: der(name), privateKey: () => createPrivateKey(readFileSync(f(`${name}.key`))) });

/** An EC user certificate on `curve` from an openssl CA, with keyAgreement usage. */
function ecUser(name: string, curve: string, address: string): void {
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-nodes', '-subj', `/CN=${address}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
  writeFileSync(f(`${name}.ext`), `subjectAltName=email:${address}\nkeyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n`);
  openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '10', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
}

before(async () => {
  dir = await tempDir('gatehouse-ecdh-');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '10', '-subj', '/CN=EC Test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  ecUser('bob', 'P-256', 'bob@example.test');
  ecUser('carol', 'P-384', 'carol@example.test');
});
after(() => removeTempDir(dir));

test('Gatehouse encrypts to a P-256 and a P-384 certificate; openssl decrypts both (CBC and GCM)', () => {
  for (const cipher of ['aes-256-cbc', 'aes-256-gcm'] as const) {
    const env = createEnvelopedData(content, [der('bob'), der('carol')], { cipher, keyTransport: 'rsa-pkcs1' });
    writeFileSync(f('env.der'), env);
    for (const who of ['bob', 'carol']) {
      const out = openssl(['cms', '-decrypt', '-inform', 'DER', '-in', f('env.der'), '-recip', f(`${who}.pem`), '-inkey', f(`${who}.key`)]);
      assert.deepEqual(out, content, `${who}, ${cipher}`);
    }
    assert.deepEqual(
      envelopeRecipients(env).map((r) => r.algorithm),
      ['1.3.132.1.11.1', '1.3.132.1.11.1'],
    );
  }
});

test('what openssl encrypts to an EC certificate opens here (default SHA-1 KDF, SHA-256 KDF, AES-GCM)', () => {
  writeFileSync(f('content'), content);
  // -keyopt applies to the -recip before it.
  const variants: string[][] = [['-aes256'], ['-aes256', '-recip', f('bob.pem'), '-keyopt', 'ecdh_kdf_md:sha256'], ['-aes-256-gcm']];
  for (const v of variants) {
    const env = openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-in', f('content'), ...v, ...(v.includes('-recip') ? [] : [f('bob.pem')])]);
    const r = openEnvelopedData(env, [keyOf('carol'), keyOf('bob')]);
    assert.deepEqual(r.content, content, v.join(' '));
    assert.deepEqual(r.key.certificate, der('bob'));
    if (v.includes('ecdh_kdf_md:sha256')) assert.equal(envelopeRecipients(env)[0].algorithm, '1.3.132.1.11.1');
  }
});

test('an RSA and an EC recipient in one message; a wrong EC key does not open it', () => {
  const ca = createRootCa('RSA CA');
  const dave = issueUserCertificate(ca, 'dave@example.test', 10);
  const env = createEnvelopedData(content, [dave.der, der('bob')], { cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' });
  writeFileSync(f('mixed.der'), env);
  writeFileSync(f('dave.pem'), pemEncode('CERTIFICATE', dave.der));
  writeFileSync(f('dave.key'), dave.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.deepEqual(openssl(['cms', '-decrypt', '-inform', 'DER', '-in', f('mixed.der'), '-recip', f('dave.pem'), '-inkey', f('dave.key')]), content);
  assert.deepEqual(openssl(['cms', '-decrypt', '-inform', 'DER', '-in', f('mixed.der'), '-recip', f('bob.pem'), '-inkey', f('bob.key')]), content);
  assert.deepEqual(openEnvelopedData(env, [keyOf('bob')]).content, content);
  // carol's key under bob's certificate: the key agreement yields another KEK, and the unwrap fails.
  assert.throws(
    () => openEnvelopedData(createEnvelopedData(content, [der('carol')], { cipher: 'aes-256-cbc', keyTransport: 'rsa-pkcs1' }), [{ certificate: der('carol'), privateKey: () => createPrivateKey(openssl(['ecparam', '-name', 'secp384r1', '-genkey', '-noout'])) }]),
    (err: unknown) => err instanceof SealerError && err.code === 'DECRYPT_FAILED',
  );
});

test('the keyring encrypts to an imported EC certificate', async () => {
  const store = openSqliteStore(f('data'));
  try {
    const keyring = new Keyring({ store: store.keys, vault: KeyVault.fromKey(Buffer.alloc(32, 7)), caName: 'Unit CA', userDays: 10 });
    await keyring.ensureCa();
    await keyring.import(readFileSync(f('bob.pem')), { actor: 'test' });
    const r = await keyring.smimeRecipient('bob@example.test');
    assert.ok(r);
    assert.deepEqual(r.certificate, der('bob'));
  } finally {
    await store.close();
  }
});
