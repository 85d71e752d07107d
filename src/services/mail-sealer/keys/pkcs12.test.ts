// PKCS#12 both ways with OpenSSL: bundles OpenSSL 3 writes (PBES2/AES, and the older SHA-1/3DES
// scheme) are read here, a wrong password is KEY_PASSWORD (the MAC says so before any
// decryption), and what the sealer writes opens in `openssl pkcs12` with the key and the chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRootCa, issueUserCertificate, type IssuedCertificate } from './certificate-authority.ts';
import { looksLikePkcs12, readPkcs12, writePkcs12 } from './pkcs12.ts';
import { pemEncode } from './x509.ts';
import { SealerError } from '../sealer-error.ts';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';

let dir: string;
let ca: IssuedCertificate;
let user: IssuedCertificate;
const f = (n: string) => join(dir, n);
const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const spki = (k: Parameters<typeof createPublicKey>[0]) => createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('hex');

before(async () => {
  dir = await tempDir('gatehouse-p12-');
  ca = createRootCa('P12 CA');
  user = issueUserCertificate(ca, 'user@example.test', 10);
  writeFileSync(f('user.pem'), pemEncode('CERTIFICATE', user.der));
  writeFileSync(f('ca.pem'), pemEncode('CERTIFICATE', ca.der));
  writeFileSync(f('user.key'), user.privateKey.export({ type: 'pkcs8', format: 'pem' }));
});
after(() => removeTempDir(dir));

for (const [label, extra] of [
  ['OpenSSL 3 defaults (PBES2, AES-256-CBC, HMAC-SHA-256)', []],
  ['SHA-1 / 3DES (older clients)', ['-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
] as const) {
  test(`reads a bundle made with ${label}; a wrong password is KEY_PASSWORD`, () => {
    openssl(['pkcs12', '-export', '-in', f('user.pem'), '-inkey', f('user.key'), '-certfile', f('ca.pem'), '-passout', 'pass:pässwörd', '-out', f('in.p12'), ...extra]);
    const der = readFileSync(f('in.p12'));
    assert.equal(looksLikePkcs12(der), true);
    const p12 = readPkcs12(der, 'pässwörd');
    assert.equal(p12.certificates.length, 2);
    assert.ok(p12.certificates.some((c) => c.equals(user.der)));
    assert.equal(spki(p12.privateKey!), spki(user.privateKey));
    assert.throws(() => readPkcs12(der, 'wrong'), (e: unknown) => e instanceof SealerError && e.code === 'KEY_PASSWORD');
  });
}

test('a bundle the sealer writes opens in openssl pkcs12, with the key and the chain', () => {
  writeFileSync(f('out.p12'), writePkcs12({ certificate: user.der, chain: [ca.der], privateKey: user.privateKey, password: 'export-pw', friendlyName: 'user@example.test' }));
  const text = openssl(['pkcs12', '-in', f('out.p12'), '-passin', 'pass:export-pw', '-nodes']);
  assert.equal(text.match(/BEGIN CERTIFICATE/g)?.length, 2);
  assert.match(text, /BEGIN PRIVATE KEY/);
  assert.match(text, /friendlyName: user@example\.test/);
  const back = readPkcs12(readFileSync(f('out.p12')), 'export-pw');
  assert.equal(spki(back.privateKey!), spki(user.privateKey));
  assert.equal(looksLikePkcs12(user.der), false, 'a certificate is not a bundle');
});
