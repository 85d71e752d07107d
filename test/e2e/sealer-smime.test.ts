// mail-sealer S/MIME end to end with real peers: swaks sends, Postfix's smtp-sink catches, OpenSSL
// plays the partner. Gatehouse encrypts to an imported certificate (openssl cms -decrypt opens
// it), signs with a certificate of its built-in CA (openssl cms -verify checks it, with the
// chain), decrypts what openssl cms -encrypt made for a local user, marks signatures (a tampered
// one as invalid), harvests a partner's certificate from a signed mail, and bounces a mail that a
// "force" policy cannot encrypt — with a DSN to the sender and nothing for the recipient.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { removeTempDir, tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);
const openssl = async (args: string[], input?: string) => {
  const p = run('openssl', args, { maxBuffer: 64 * 1024 * 1024 });
  p.child.stdin!.on('error', () => {});
  p.child.stdin!.end(input ?? '');
  return p;
};

/** Our own trusted "relay" address: mail sent from it is outbound; from 127.0.0.1 it is inbound. */
const TRUSTED = '127.0.0.2';

let sink: SmtpSink;
let gw: Gateway;
let dir: string;
const f = (name: string) => join(dir, name);

/** A partner CA and a partner user certificate for `address`, made with openssl. */
async function partner(name: string, address: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', `/CN=${name} CA`, '-keyout', f(`${name}-ca.key`), '-out', f(`${name}-ca.pem`)]);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${address}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`)]);
  await writeFile(f(`${name}.ext`), `subjectAltName=email:${address}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n`);
  await openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${name}-ca.pem`), '-CAkey', f(`${name}-ca.key`), '-CAcreateserial', '-days', '30', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
}

before(async () => {
  dir = await tempDir('gatehouse-sealer-');
  await partner('partner', 'bob@partner.test');
  await partner('stranger', 'eve@harvest.test');
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: [`${TRUSTED}/32`],
      routes: { '*': `smtp://${sink.address}` },
      sealer: {
        policies: [
          { name: 'partners', direction: 'outbound', senders: ['*@example.test'], recipients: ['*@partner.test'], sign: 'if-possible', encrypt: 'force', method: 'smime' },
          { name: 'strict', direction: 'outbound', recipients: ['*@nokey.test'], sign: 'never', encrypt: 'force', method: 'smime' },
          { name: 'signed', direction: 'outbound', recipients: ['*@signed.test'], sign: 'force', encrypt: 'never', method: 'smime' },
          { name: 'harvested', direction: 'outbound', recipients: ['*@harvest.test'], encrypt: 'force', method: 'smime' },
        ],
      },
    },
  });
  const imp = await gw.cli(['keys', 'import', f('partner.pem')]);
  assert.equal(imp.code, 0, imp.stderr);
  const issued = await gw.cli(['keys', 'issue', 'alice@example.test', '--json']);
  assert.equal(issued.code, 0, issued.stderr);
  const alice = JSON.parse(issued.stdout) as { id: string };
  const cert = await gw.cli(['keys', 'export', alice.id, '--out', f('alice.pem')]);
  assert.equal(cert.code, 0, cert.stderr);
  const ca = await gw.cli(['keys', 'ca']);
  assert.equal(ca.code, 0, ca.stderr);
  await writeFile(f('gatehouse-ca.pem'), ca.stdout);
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
  await removeTempDir(dir);
});

async function arrived(subject: string, to?: string): Promise<SinkMessage> {
  return waitFor(async () => (await sink.messages()).find((m) => m.subject === subject && (!to || m.recipients.includes(to))), { timeoutMs: 20_000, what: `"${subject}" at the sink` });
}

const outbound = (to: string, subject: string, body: string) =>
  swaks({ server: gw.smtpAddress, from: 'alice@example.test', to, subject, headers: { From: 'Alice <alice@example.test>' }, body, extraArgs: ['--local-interface', TRUSTED] });

test('outbound to a partner with an imported certificate arrives S/MIME encrypted, and signed inside; openssl opens and verifies it', async () => {
  const r = await outbound('bob@partner.test', 'secret plans', 'the plans are in the usual place\n');
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('secret plans');
  assert.match(m.headers['content-type']?.[0] ?? '', /application\/pkcs7-mime; smime-type=enveloped-data/);
  assert.doesNotMatch(m.raw, /usual place/, 'no clear text on the wire');
  await writeFile(f('out1.eml'), m.raw);
  const dec = await openssl(['cms', '-decrypt', '-in', f('out1.eml'), '-recip', f('partner.pem'), '-inkey', f('partner.key'), '-out', f('out1.inner')]);
  assert.equal(dec.stderr, '');
  const inner = await readFile(f('out1.inner'), 'utf8');
  assert.match(inner, /multipart\/signed; protocol="application\/pkcs7-signature"/);
  assert.match(inner, /usual place/);
  const ver = await openssl(['cms', '-verify', '-in', f('out1.inner'), '-CAfile', f('gatehouse-ca.pem'), '-purpose', 'smimesign', '-out', f('out1.content')]);
  assert.match(ver.stderr, /Verification successful/);
  assert.match(await readFile(f('out1.content'), 'utf8'), /the plans are in the usual place/);
});

test('a mail signed by gatehouse verifies with openssl cms -verify against the built-in CA', async () => {
  const r = await outbound('carol@signed.test', 'signed only', 'hello, signed world\n');
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('signed only');
  assert.match(m.headers['content-type']?.[0] ?? '', /multipart\/signed/);
  await writeFile(f('signed.eml'), m.raw);
  const ver = await openssl(['cms', '-verify', '-in', f('signed.eml'), '-CAfile', f('gatehouse-ca.pem'), '-purpose', 'smimesign', '-out', f('signed.content')]);
  assert.match(ver.stderr, /Verification successful/);
  assert.match(await readFile(f('signed.content'), 'utf8'), /hello, signed world/);
  // The same mail changed in transit no longer verifies.
  await writeFile(f('tampered.eml'), m.raw.replace('hello, signed world', 'hello, forged world'));
  await assert.rejects(openssl(['cms', '-verify', '-in', f('tampered.eml'), '-CAfile', f('gatehouse-ca.pem'), '-out', f('tampered.content')]));
});

test('inbound mail that openssl encrypted to a local user (built-in CA certificate) arrives decrypted', async () => {
  await writeFile(f('in.txt'), 'Content-Type: text/plain; charset=us-ascii\r\n\r\nmeet me at noon\r\n');
  await openssl(['cms', '-encrypt', '-aes256', '-in', f('in.txt'), '-out', f('in.eml'), '-from', 'bob@partner.test', '-to', 'alice@example.test', '-subject', 'encrypted for alice', f('alice.pem')]);
  const r = await swaks({ server: gw.smtpAddress, from: 'bob@partner.test', to: 'alice@example.test', data: await readFile(f('in.eml')) });
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('encrypted for alice');
  assert.match(m.body, /meet me at noon/);
  assert.match(m.headers['content-type']?.[0] ?? '', /^text\/plain/);
  assert.match(m.headers['x-gatehouse-decryption']?.[0] ?? '', /^decrypted; method=smime/);
});

test('an inbound signature is marked valid, a tampered one invalid, and a forged verdict header is removed', async () => {
  await writeFile(f('sig.txt'), 'Content-Type: text/plain\r\n\r\nsigned by bob\r\n');
  // bob's CA is trusted once the admin imports it.
  assert.equal((await gw.cli(['keys', 'import', f('partner-ca.pem')])).code, 0);
  await openssl(['smime', '-sign', '-in', f('sig.txt'), '-signer', f('partner.pem'), '-inkey', f('partner.key'), '-from', 'bob@partner.test', '-to', 'alice@example.test', '-subject', 'signed by bob', '-out', f('sig.eml')]);
  const signed = await readFile(f('sig.eml'), 'utf8');
  const forged = signed.replace('Subject: signed by bob', 'Subject: signed by bob\nX-Gatehouse-Signature: valid; signer=ceo@example.test');
  assert.equal((await swaks({ server: gw.smtpAddress, from: 'bob@partner.test', to: 'alice@example.test', data: forged })).code, 0);
  const ok = await arrived('signed by bob');
  assert.deepEqual(ok.headers['x-gatehouse-signature'], ['valid; method=smime; signer=bob@partner.test']);

  const tampered = signed.replace('Subject: signed by bob', 'Subject: tampered by mallory').replace(/signed by bob(\r?\n)/, 'signed by mallory$1');
  assert.match(tampered, /signed by mallory/);
  assert.equal((await swaks({ server: gw.smtpAddress, from: 'bob@partner.test', to: 'alice@example.test', data: tampered })).code, 0);
  const bad = await arrived('tampered by mallory');
  assert.match(bad.headers['x-gatehouse-signature']?.[0] ?? '', /^invalid; method=smime; signer=bob@partner\.test; reason=/);
});

test('harvesting: the certificate of a signed mail in is used to encrypt the next mail out', async () => {
  await writeFile(f('eve.txt'), 'Content-Type: text/plain\r\n\r\nhere is my certificate\r\n');
  await openssl(['smime', '-sign', '-in', f('eve.txt'), '-signer', f('stranger.pem'), '-inkey', f('stranger.key'), '-from', 'eve@harvest.test', '-to', 'alice@example.test', '-subject', 'hello from eve', '-out', f('eve.eml')]);
  assert.equal((await swaks({ server: gw.smtpAddress, from: 'eve@harvest.test', to: 'alice@example.test', data: await readFile(f('eve.eml')) })).code, 0);
  const m = await arrived('hello from eve');
  assert.match(m.headers['x-gatehouse-signature']?.[0] ?? '', /^unknown; method=smime; signer=eve@harvest\.test; reason="no chain to a trusted CA"/);
  const list = await gw.cli(['keys', 'list', '--address', 'eve@harvest.test', '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((k: { source: string }) => k.source), ['harvested']);

  assert.equal((await outbound('eve@harvest.test', 'reply to eve', 'thanks, eve\n')).code, 0);
  const out = await arrived('reply to eve');
  await writeFile(f('eve-out.eml'), out.raw);
  await openssl(['cms', '-decrypt', '-in', f('eve-out.eml'), '-recip', f('stranger.pem'), '-inkey', f('stranger.key'), '-out', f('eve-out.txt')]);
  assert.match(await readFile(f('eve-out.txt'), 'utf8'), /thanks, eve/);
});

test('encrypt: force without a key bounces: a DSN to the sender, nothing delivered to the recipient', async () => {
  const r = await outbound('dave@nokey.test', 'no key for dave', 'this must never travel in clear\n');
  assert.equal(r.code, 0, r.stdout);
  const id = /queued as ([0-9a-z]{20})/.exec(r.stdout)![1];
  const dsn = await waitFor(async () => (await sink.messages()).find((m) => m.sender === '' && m.recipients.includes('alice@example.test') && m.raw.includes(id)), {
    timeoutMs: 20_000,
    what: 'the DSN',
  });
  assert.match(dsn.raw, /Status: 5\.7\.5/);
  assert.match(dsn.raw, /no S\/MIME key for <dave@nokey\.test>/);
  const mail = await waitFor(async () => {
    const res = await gw.api('GET', `/api/v1/mails/${id}`);
    return res.json?.queue === 'bounced' ? res.json : undefined;
  });
  const sealOut = mail.events.find((e: { queue: string; detail?: { from?: string } }) => e.detail?.from === 'seal-out');
  assert.match(sealOut.detail.reason, /encryption required by policy "strict"/);
  assert.equal((await sink.messages()).filter((m) => m.recipients.includes('dave@nokey.test')).length, 0, 'nothing for the recipient');
});
