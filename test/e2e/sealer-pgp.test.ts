// mail-sealer OpenPGP/MIME (RFC 3156) end to end with real peers: GnuPG (in its own temp
// GNUPGHOME per party) plays the partner and makes the local user's key, swaks sends, smtp-sink
// catches. Outbound to a partner's imported key → gpg decrypts it and finds the gateway's
// signature good; inbound mail gpg encrypted (and signed) to a local user's key arrives
// decrypted with the signature marked; a detached signature is checked, a tampered one is
// invalid; an Autocrypt header's key is harvested and used for the next mail out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startGateway, type Gateway } from '../helpers/gateway.ts';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.ts';
import { swaks } from '../helpers/swaks.ts';
import { removeTempDir, tempDir } from '../helpers/tmp.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);
const TRUSTED = '127.0.0.2';

let sink: SmtpSink;
let gw: Gateway;
let dir: string;
const f = (name: string) => join(dir, name);

/** gpg in the home of one party, never asking anything. */
async function gpg(home: string, args: string[], input?: Buffer | string): Promise<{ stdout: string; stderr: string }> {
  const p = run('gpg', ['--homedir', f(home), '--batch', '--yes', '--pinentry-mode', 'loopback', '--trust-model', 'always', ...args], { maxBuffer: 64 * 1024 * 1024 });
  p.child.stdin!.on('error', () => {}); // gpg commands that read nothing close stdin early
  p.child.stdin!.end(input ?? '');
  return p;
}

async function newKey(home: string, userId: string, algo: string, passphrase: string): Promise<void> {
  await mkdir(f(home), { recursive: true, mode: 0o700 });
  await gpg(home, ['--passphrase', passphrase, '--quick-gen-key', userId, algo, 'default', 'never']);
}

before(async () => {
  dir = await tempDir('gatehouse-pgp-');
  // The partner (bob) and the local user (alice, whose secret key the gateway will hold).
  await newKey('bob', 'Bob <bob@pgp.test>', 'default', ''); // RSA 3072 with an encryption subkey
  await newKey('alice', 'Alice <alice@example.test>', 'future-default', 'alice-pw');
  await newKey('carol', 'Carol <carol@autocrypt.test>', 'future-default', '');
  await writeFile(f('bob.asc'), (await gpg('bob', ['--armor', '--export', 'bob@pgp.test'])).stdout);
  await writeFile(f('alice-secret.asc'), (await gpg('alice', ['--passphrase', 'alice-pw', '--armor', '--export-secret-keys', 'alice@example.test'])).stdout);
  await gpg('bob', ['--import'], (await gpg('alice', ['--armor', '--export', 'alice@example.test'])).stdout);
  await gpg('carol', ['--import'], (await gpg('alice', ['--armor', '--export', 'alice@example.test'])).stdout);
  sink = await startSmtpSink();
  gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: [`${TRUSTED}/32`],
      routes: { '*': `smtp://${sink.address}` },
      sealer: {
        policies: [{ name: 'pgp partners', direction: 'outbound', senders: ['*@example.test'], recipients: ['*@pgp.test', '*@autocrypt.test'], sign: 'if-possible', encrypt: 'force', method: 'pgp' }],
      },
    },
  });
  for (const [file, extra] of [
    ['bob.asc', []],
    ['alice-secret.asc', ['--password', 'alice-pw']],
  ] as const) {
    const r = await gw.cli(['keys', 'import', f(file), ...extra]);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await gw?.dispose();
  await sink?.stop();
  await removeTempDir(dir);
});

async function arrived(subject: string): Promise<SinkMessage> {
  return waitFor(async () => (await sink.messages()).find((m) => m.subject === subject), { timeoutMs: 20_000, what: `"${subject}" at the sink` });
}

const outbound = (to: string, subject: string, body: string) =>
  swaks({ server: gw.smtpAddress, from: 'alice@example.test', to, subject, headers: { From: 'Alice <alice@example.test>' }, body, extraArgs: ['--local-interface', TRUSTED] });

/** The armored OpenPGP message of a multipart/encrypted mail. */
function armoredMessage(raw: string): string {
  const m = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(raw);
  assert.ok(m, 'no OpenPGP message in the mail');
  return m[0] + '\n';
}

/** A multipart/encrypted mail around an armored message. */
function pgpMail(from: string, to: string, subject: string, armored: string): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc-b"',
    '',
    '--enc-b',
    'Content-Type: application/pgp-encrypted',
    '',
    'Version: 1',
    '',
    '--enc-b',
    'Content-Type: application/octet-stream',
    '',
    armored.trimEnd(),
    '',
    '--enc-b--',
    '',
  ].join('\r\n');
}

test('outbound to a partner with an imported gpg key: gpg decrypts it and finds the signature good', async () => {
  const r = await outbound('bob@pgp.test', 'pgp for bob', 'the eagle lands at dawn\n');
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('pgp for bob');
  assert.match(m.headers['content-type']?.[0] ?? '', /multipart\/encrypted; protocol="application\/pgp-encrypted"/);
  assert.doesNotMatch(m.raw, /eagle/);
  const out = await gpg('bob', ['--decrypt'], armoredMessage(m.raw));
  assert.match(out.stdout, /the eagle lands at dawn/);
  assert.match(out.stdout, /^Content-Type: text\/plain/m);
  assert.match(out.stderr, /Good signature from "Alice <alice@example\.test>"/);
});

test('inbound mail gpg encrypted and signed to a local user arrives decrypted, the signature marked valid', async () => {
  const entity = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nsee you at the harbour\r\n';
  const enc = await gpg('bob', ['--armor', '--encrypt', '--sign', '-r', 'alice@example.test', '--local-user', 'bob@pgp.test'], entity);
  const r = await swaks({ server: gw.smtpAddress, from: 'bob@pgp.test', to: 'alice@example.test', data: pgpMail('Bob <bob@pgp.test>', 'alice@example.test', 'pgp for alice', enc.stdout) });
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('pgp for alice');
  assert.match(m.body, /see you at the harbour/);
  assert.match(m.headers['content-type']?.[0] ?? '', /^text\/plain/);
  assert.match(m.headers['x-gatehouse-decryption']?.[0] ?? '', /^decrypted; method=pgp/);
  assert.deepEqual(m.headers['x-gatehouse-signature'], ['valid; method=pgp; signer=bob@pgp.test']);
});

test('a gpg detached signature (multipart/signed) is marked valid, and invalid once the part was changed', async () => {
  const part = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nI, Bob, approve.\r\n';
  // The signed part ends before the CRLF that belongs to the next boundary line (RFC 3156 5).
  const sig = await gpg('bob', ['--armor', '--detach-sign', '--local-user', 'bob@pgp.test'], part.replace(/\r\n$/, ''));
  const mail = (subject: string, signed: string) =>
    [
      'From: Bob <bob@pgp.test>',
      'To: alice@example.test',
      `Subject: ${subject}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig-b"',
      '',
      '--sig-b',
      signed.replace(/\r\n$/, ''),
      '--sig-b',
      'Content-Type: application/pgp-signature',
      '',
      sig.stdout.trimEnd(),
      '--sig-b--',
      '',
    ].join('\r\n');
  assert.equal((await swaks({ server: gw.smtpAddress, from: 'bob@pgp.test', to: 'alice@example.test', data: mail('bob approves', part) })).code, 0);
  const ok = await arrived('bob approves');
  assert.deepEqual(ok.headers['x-gatehouse-signature'], ['valid; method=pgp; signer=bob@pgp.test']);

  assert.equal((await swaks({ server: gw.smtpAddress, from: 'bob@pgp.test', to: 'alice@example.test', data: mail('bob disapproves', part.replace('approve', 'disapprove')) })).code, 0);
  const bad = await arrived('bob disapproves');
  assert.match(bad.headers['x-gatehouse-signature']?.[0] ?? '', /^invalid; method=pgp; signer=bob@pgp\.test; reason=/);
});

test('an Autocrypt header is harvested, and its key encrypts the next mail out', async () => {
  const keydata = (await run('gpg', ['--homedir', f('carol'), '--batch', '--export', 'carol@autocrypt.test'], { encoding: 'buffer', maxBuffer: 1 << 20 })).stdout as Buffer;
  const b64 = keydata.toString('base64').replace(/(.{72})/g, '$1\r\n ');
  const data = ['From: Carol <carol@autocrypt.test>', 'To: alice@example.test', 'Subject: hello from carol', `Autocrypt: addr=carol@autocrypt.test; keydata=\r\n ${b64}`, '', 'hi alice', ''].join('\r\n');
  assert.equal((await swaks({ server: gw.smtpAddress, from: 'carol@autocrypt.test', to: 'alice@example.test', data })).code, 0);
  await arrived('hello from carol');
  const keys = await gw.cli(['keys', 'list', '--address', 'carol@autocrypt.test', '--json']);
  assert.deepEqual(JSON.parse(keys.stdout).map((k: { kind: string; source: string }) => `${k.kind}/${k.source}`), ['pgp/harvested']);

  assert.equal((await outbound('carol@autocrypt.test', 'pgp for carol', 'thanks for your key\n')).code, 0);
  const m = await arrived('pgp for carol');
  const out = await gpg('carol', ['--decrypt'], armoredMessage(m.raw));
  assert.match(out.stdout, /thanks for your key/);
});

test('"[secure:passphrase]" in the Subject: the mail goes out passphrase-encrypted, gpg opens it with the passphrase', async () => {
  const r = await outbound('paul@anywhere.test', '[secure:correct horse battery] the contract', 'signed copy attached\n');
  assert.equal(r.code, 0, r.stdout);
  const m = await arrived('the contract');
  assert.doesNotMatch(m.raw, /correct horse|signed copy attached/, 'neither the passphrase nor the content travels in clear');
  assert.match(m.headers['content-type']?.[0] ?? '', /multipart\/encrypted/);
  const out = await gpg('bob', ['--passphrase', 'correct horse battery', '--decrypt'], armoredMessage(m.raw));
  assert.match(out.stdout, /signed copy attached/);

  const short = await outbound('paul@anywhere.test', '[secure:abc] too weak', 'must not go out\n');
  const id = /queued as ([0-9a-z]{20})/.exec(short.stdout)![1];
  const dsn = await waitFor(async () => (await sink.messages()).find((x) => x.sender === '' && x.raw.includes(id)), { timeoutMs: 20_000, what: 'the DSN' });
  assert.match(dsn.raw, /shorter than 8 characters/);
  assert.equal((await sink.messages()).filter((x) => x.raw.includes('must not go out') && x.sender !== '').length, 0);
});
