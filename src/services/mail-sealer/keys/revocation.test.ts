// CRL checks against a list `openssl ca -gencrl` made, served over loopback HTTP: a revoked
// certificate is found, a good one passes, a list signed by someone else does not count, and a
// server that does not answer runs into the deadline ("unknown", never a hang); a verdict is kept
// as long as its list, and not beyond it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '../../../../test/helpers/tmp.ts';
import { openSqliteStore } from '../../../store/sqlite/open.ts';
import { KeyVault } from './key-vault.ts';
import { Keyring } from './keyring.ts';
import { RevocationChecker, crlUrls } from './revocation.ts';
import { parseCertificate, pemBlocks, type CertInfo } from './x509.ts';

let dir: string;
let server: Server;
let base: string;
const hits = new Map<string, number>();
const f = (n: string) => join(dir, n);
const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const cert = (name: string): CertInfo => parseCertificate(pemBlocks(readFileSync(f(`${name}.pem`), 'utf8'))[0].der);

function userCert(name: string, crlPath: string, ca = 'ca'): void {
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}@crl.test`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
  writeFileSync(f(`${name}.ext`), `subjectAltName=email:${name}@crl.test\ncrlDistributionPoints=URI:${base}${crlPath}\n`);
  openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.pem`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-days', '5', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
}

before(async () => {
  dir = await tempDir('gatehouse-crl-');
  server = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    if (req.url === '/slow.crl') return; // never answers
    try {
      res.end(readFileSync(f(req.url!.slice(1))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  for (const ca of ['ca', 'other-ca']) openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '5', '-subj', `/CN=${ca}`, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`)]);
  userCert('revoked', 'ca.crl');
  userCert('good', 'ca.crl');
  userCert('forged', 'other.crl');
  userCert('slow', 'slow.crl');
  userCert('later', 'ca.crl');
  for (const ca of ['ca', 'other-ca']) {
    writeFileSync(f(`${ca}.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${f(`${ca}.index`)}\ncrlnumber=${f(`${ca}.crlnumber`)}\ndefault_md=sha256\ndefault_crl_days=7\ncertificate=${f(`${ca}.pem`)}\nprivate_key=${f(`${ca}.key`)}\n`);
    writeFileSync(f(`${ca}.index`), '');
    writeFileSync(f(`${ca}.crlnumber`), '01\n');
  }
  openssl(['ca', '-config', f('ca.cnf'), '-revoke', f('revoked.pem')]);
  openssl(['ca', '-config', f('ca.cnf'), '-gencrl', '-out', f('ca.crl')]);
  // A list naming "forged" as revoked, but made by another CA.
  openssl(['ca', '-config', f('other-ca.cnf'), '-gencrl', '-out', f('other.crl')]);
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await removeTempDir(dir);
});

test('the distribution point is read from the certificate', () => {
  assert.deepEqual(crlUrls(cert('good')), [`${base}ca.crl`]);
});

test('revoked, good, a list by someone else, and a deadline', async () => {
  const checker = new RevocationChecker({ timeoutMs: 300, maxAgeMs: 60_000 });
  const ca = cert('ca');
  const revoked = await checker.check(cert('revoked'), ca);
  assert.equal(revoked.status, 'revoked');
  assert.match(revoked.reason ?? '', /revoked on \d{4}-\d\d-\d\d/);
  assert.deepEqual(await checker.check(cert('good'), ca), { status: 'good', reason: null });
  const forged = await checker.check(cert('forged'), ca);
  assert.equal(forged.status, 'unknown');
  assert.match(forged.reason ?? '', /is not signed by/);
  const slow = await checker.check(cert('slow'), ca);
  assert.equal(slow.status, 'unknown');
  assert.match(slow.reason ?? '', /slow\.crl/);
});

test('the keyring: a revoked signer is not trusted (and flagged revoked), a revoked recipient certificate is not used', async () => {
  const store = openSqliteStore(f('data'));
  try {
    const { vault } = await KeyVault.open(f('data'));
    const keyring = new Keyring({ store: store.keys, vault, caName: 'x', userDays: 1, revocation: new RevocationChecker({ timeoutMs: 1000, maxAgeMs: 60_000 }) });
    await keyring.import(readFileSync(f('ca.pem')), { actor: 't' });
    const good = await keyring.trustOf(cert('good'), []);
    assert.equal(good.trusted, true);
    const bad = await keyring.trustOf(cert('revoked'), []);
    assert.equal(bad.trusted, false);
    assert.equal(bad.revoked, true);
    await keyring.import(readFileSync(f('revoked.pem')), { actor: 't' });
    assert.equal(await keyring.smimeRecipient('revoked@crl.test'), null);
    await keyring.import(readFileSync(f('good.pem')), { actor: 't' });
    assert.ok(await keyring.smimeRecipient('good@crl.test'));
  } finally {
    await store.close();
  }
});

test('a verdict lives as long as its list: reused while the list is kept, checked afresh once it is not', async () => {
  const ca = cert('ca');
  const kept = new RevocationChecker({ timeoutMs: 1000, maxAgeMs: 60_000 });
  const notKept = new RevocationChecker({ timeoutMs: 1000, maxAgeMs: 0 });
  assert.equal((await kept.check(cert('later'), ca)).status, 'good');
  assert.equal((await notKept.check(cert('later'), ca)).status, 'good');
  const before = hits.get('/ca.crl') ?? 0;
  assert.equal((await kept.check(cert('later'), ca)).status, 'good');
  assert.equal(hits.get('/ca.crl') ?? 0, before, 'the kept verdict needs no download');
  // The CA revokes it and publishes a new list.
  openssl(['ca', '-config', f('ca.cnf'), '-revoke', f('later.pem')]);
  openssl(['ca', '-config', f('ca.cnf'), '-gencrl', '-out', f('ca.crl')]);
  // The list kept (until its nextUpdate, at most maxAge) still says good, like the list itself would;
  // a checker that keeps no list sees the new one at once, verdict and all.
  assert.equal((await kept.check(cert('later'), ca)).status, 'good');
  assert.equal((await notKept.check(cert('later'), ca)).status, 'revoked');
  assert.equal(hits.get('/ca.crl'), before + 1);
});
