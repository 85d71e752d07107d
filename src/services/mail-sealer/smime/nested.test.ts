// Nested S/MIME made by OpenSSL, through the real seal-in stage: signed inside enveloped (the
// usual order), enveloped inside signed (encrypt-then-sign), and triple-wrapped (signed, enveloped,
// signed). Every layer is opened or checked; a changed inner signature makes the verdict invalid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Envelope } from '../../../core/mail.ts';
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
import { smimeKind } from './smime-mime.ts';

let dir: string;
let store: SqliteStore;
let keyring: Keyring;
const f = (n: string) => join(dir, n);
const openssl = (args: string[], input?: Buffer | string) => execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
const log = createLogger('test', []);
const config = sealerConfigSchema.parse({});
const CONTENT = 'Content-Type: text/plain; charset=us-ascii\r\n\r\nthe nested secret\r\n';

const sign = (entity: Buffer | string) => openssl(['cms', '-sign', '-signer', f('alice.pem'), '-inkey', f('alice.key'), '-md', 'sha256'], entity);
const encrypt = (entity: Buffer | string) => openssl(['cms', '-encrypt', '-aes256', f('bob.pem')], entity);
/** openssl's S/MIME output starts with MIME-Version; a mail needs its own fields too. */
const asMail = (entity: Buffer) => Buffer.concat([Buffer.from('From: Alice <alice@partner.test>\r\nTo: bob@example.test\r\nSubject: nested\r\n'), Buffer.from(entity.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1')]);

before(async () => {
  dir = await tempDir('gatehouse-nested-');
  store = openSqliteStore(join(dir, 'data'));
  const { vault } = await KeyVault.open(join(dir, 'data'));
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
  const bob = await keyring.issue('bob@example.test', { actor: 'test' });
  writeFileSync(f('bob.pem'), (await keyring.export(bob.id, { actor: 'test' })).data);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '10', '-subj', '/CN=Partner CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=alice@partner.test', '-keyout', f('alice.key'), '-out', f('alice.csr')]);
  writeFileSync(f('alice.ext'), 'subjectAltName=email:alice@partner.test\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\n');
  openssl(['x509', '-req', '-in', f('alice.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '10', '-extfile', f('alice.ext'), '-out', f('alice.pem')]);
  await keyring.import(readFileSync(f('ca.pem')), { actor: 'test' });
});
after(async () => {
  await store.close();
  await removeTempDir(dir);
});

async function sealIn(data: Buffer): Promise<string> {
  const id = newMailId();
  const w = await store.bodies.create(id);
  await w.write(data);
  await w.commit();
  const env: Envelope = { sender: 'alice@partner.test', direction: 'inbound', source: 'smtp', recipients: [{ address: 'bob@example.test', status: 'pending' }] };
  const now = Date.now();
  const mail: ClaimedMail = { id, queue: 'seal-in', envelope: env, size: data.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 't', leaseUntil: now + 60_000 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
  const r = await createSealInStage({ keyring: () => keyring, policies: () => new SealerPolicies([]), config: () => config }).process(mail, ctx);
  assert.ok(r.bodyKey, 'seal-in rewrote the mail');
  return (await store.bodies.read(r.bodyKey)).toString('latin1');
}

test('signed inside enveloped: decrypted, the signature inside valid and kept for the client', async () => {
  const out = await sealIn(asMail(encrypt(sign(CONTENT))));
  const e = parseEntity(Buffer.from(out, 'latin1'));
  assert.match(headerValue(e.headers, 'x-gatehouse-decryption') ?? '', /^decrypted; method=smime/);
  assert.match(headerValue(e.headers, 'x-gatehouse-signature') ?? '', /^valid; method=smime; signer=alice@partner\.test/);
  assert.equal(smimeKind(e), 'signed-multipart');
  assert.match(out, /the nested secret/);
});

test('enveloped inside signed (encrypt-then-sign): the signature checked, then the content decrypted', async () => {
  const out = await sealIn(asMail(sign(encrypt(CONTENT))));
  const e = parseEntity(Buffer.from(out, 'latin1'));
  assert.match(headerValue(e.headers, 'x-gatehouse-decryption') ?? '', /^decrypted; method=smime; key=\w+; layer=inside-signature/);
  assert.match(headerValue(e.headers, 'x-gatehouse-signature') ?? '', /^valid; method=smime; signer=alice@partner\.test/);
  assert.equal(smimeKind(e), null);
  assert.match(out, /the nested secret/);
});

test('triple-wrapped: both signatures checked; a changed inner signed part makes it invalid', async () => {
  const out = await sealIn(asMail(sign(encrypt(sign(CONTENT)))));
  const e = parseEntity(Buffer.from(out, 'latin1'));
  assert.match(headerValue(e.headers, 'x-gatehouse-signature') ?? '', /^valid; method=smime; signer=alice@partner\.test/);
  assert.match(out, /the nested secret/);

  const tamperedInner = sign(CONTENT).toString('latin1').replace('the nested secret', 'the nested secreT');
  const bad = await sealIn(asMail(sign(encrypt(tamperedInner))));
  const b = parseEntity(Buffer.from(bad, 'latin1'));
  assert.match(headerValue(b.headers, 'x-gatehouse-signature') ?? '', /^invalid; method=smime; signer=alice@partner\.test; reason="inner signature: /);
});
