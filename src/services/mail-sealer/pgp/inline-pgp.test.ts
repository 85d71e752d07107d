// Inline PGP made by GnuPG, through the real seal-in stage: an encrypted and signed block in a
// text/plain body is decrypted (the text around it kept, UTF-8 intact) and its signature found
// valid; a cleartext-signed body (also quoted-printable) is verified and left as it is; a changed
// word makes the signature invalid; a block for a key the gateway lacks passes as it came.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
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
import { headerValue, parseEntity } from '../mime/entity.ts';
import { SealerPolicies } from '../policy.ts';
import { createSealInStage } from '../seal-in.ts';
import { simpleParser } from 'mailparser';

const run = promisify(execFile);
let dir: string;
let store: SqliteStore;
let keyring: Keyring;
const log = createLogger('test', []);
const config = sealerConfigSchema.parse({});

async function gpg(args: string[], input?: string | Buffer): Promise<string> {
  const p = run('gpg', ['--homedir', join(dir, 'gnupg'), '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--trust-model', 'always', ...args], { maxBuffer: 16 * 1024 * 1024 });
  p.child.stdin!.on('error', () => {});
  p.child.stdin!.end(input ?? '');
  return (await p).stdout;
}

before(async () => {
  dir = await tempDir('gatehouse-inline-pgp-');
  store = openSqliteStore(join(dir, 'data'));
  const { vault } = await KeyVault.open(join(dir, 'data'));
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
  // The local user bob: the gateway holds his key; the partner alice: her public key is imported.
  const bob = await keyring.issue('bob@example.test', { actor: 'test', pgp: true });
  const stranger = await keyring.issue('nobody@elsewhere.test', { actor: 'test', pgp: true });
  await mkdir(join(dir, 'gnupg'), { recursive: true, mode: 0o700 });
  await gpg(['--quick-gen-key', 'Alice <alice@partner.test>', 'future-default', 'default', 'never']);
  await gpg(['--import'], (await keyring.export(bob.id, { actor: 'test' })).data);
  await gpg(['--import'], (await keyring.export(stranger.id, { actor: 'test' })).data);
  await keyring.delete(stranger.id, 'test');
  await keyring.import(Buffer.from(await gpg(['--armor', '--export', 'alice@partner.test'])), { actor: 'test' });
});
after(async () => {
  await run('gpgconf', ['--homedir', join(dir, 'gnupg'), '--kill', 'gpg-agent']).catch(() => undefined);
  await store.close();
  await removeTempDir(dir);
});

async function sealIn(headers: string, body: string | Buffer): Promise<StageResult & { out: string }> {
  const id = newMailId();
  const data = Buffer.concat([Buffer.from(headers.replace(/\r?\n/g, '\r\n') + '\r\n'), Buffer.isBuffer(body) ? body : Buffer.from(body.replace(/\r?\n/g, '\r\n'), 'utf8')]);
  const w = await store.bodies.create(id);
  await w.write(data);
  await w.commit();
  const env: Envelope = { sender: 'alice@partner.test', direction: 'inbound', source: 'smtp', recipients: [{ address: 'bob@example.test', status: 'pending' }] };
  const now = Date.now();
  const mail: ClaimedMail = { id, queue: 'seal-in', envelope: env, size: data.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 't', leaseUntil: now + 60_000 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
  const stage = createSealInStage({ keyring: () => keyring, policies: () => new SealerPolicies([]), config: () => config });
  const r = await stage.process(mail, ctx);
  return { ...r, out: r.bodyKey ? (await store.bodies.read(r.bodyKey)).toString('latin1') : data.toString('latin1') };
}

const HEAD = 'From: Alice <alice@partner.test>\nTo: bob@example.test\nSubject: inline\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n';

test('an inline block gpg encrypted and signed is decrypted in place, its signature valid', async () => {
  const armored = await gpg(['--armor', '--sign', '--encrypt', '-u', 'alice@partner.test', '-r', 'bob@example.test'], 'Grüße aus Köln: the figures are 42.\n');
  const r = await sealIn(HEAD, `Hello Bob,\n\n${armored}\n-- \nAlice\n`);
  const e = parseEntity(Buffer.from(r.out, 'latin1'));
  assert.match(headerValue(e.headers, 'x-gatehouse-decryption') ?? '', /^decrypted; method=pgp-inline/);
  assert.match(headerValue(e.headers, 'x-gatehouse-signature') ?? '', /^valid; method=pgp; signer=alice@partner\.test/);
  const text = (await simpleParser(Buffer.from(r.out, 'latin1'))).text ?? '';
  assert.match(text, /^Hello Bob,/);
  assert.match(text, /Grüße aus Köln: the figures are 42\./);
  assert.match(text, /Alice\s*$/);
  assert.doesNotMatch(r.out, /BEGIN PGP MESSAGE/);
});

test('a cleartext-signed body is verified and left as it is; quoted-printable too; a changed word is invalid', async () => {
  const signed = await gpg(['--clearsign', '-u', 'alice@partner.test'], 'Pay 100 EUR to account 1234.\nGrüße\n');
  const ok = await sealIn(HEAD, signed);
  assert.match(ok.out, /X-Gatehouse-Signature: valid; method=pgp; signer=alice@partner\.test/);
  assert.match(ok.out, /BEGIN PGP SIGNED MESSAGE/);

  const qp = qpWrap(qpEncode(Buffer.from(signed.replace(/\r?\n/g, '\r\n'), 'utf8')), 76).replace(/\r?\n/g, '\r\n');
  const viaQp = await sealIn(HEAD.replace('8bit', 'quoted-printable'), Buffer.from(qp, 'latin1'));
  assert.match(viaQp.out, /X-Gatehouse-Signature: valid; method=pgp/);

  const bad = await sealIn(HEAD, signed.replace('100 EUR', '900 EUR'));
  assert.match(bad.out, /X-Gatehouse-Signature: invalid; method=pgp; signer=alice@partner\.test/);
});

test('an inline block for a key the gateway does not hold passes as it came, with a header saying so', async () => {
  const armored = await gpg(['--armor', '--encrypt', '-r', 'nobody@elsewhere.test'], 'not for us\n');
  const r = await sealIn(HEAD, `${armored}`);
  assert.match(r.out, /X-Gatehouse-Decryption: none; method=pgp/);
  assert.match(r.out, /BEGIN PGP MESSAGE/);
});

test('plain text without a block is not touched', async () => {
  const r = await sealIn(HEAD, 'Just text mentioning -----BEGIN PGP MESSAGE----- in the middle of a line.\n');
  assert.equal(r.bodyKey, undefined);
  assert.equal(r.outcome.kind, 'advance');
});
