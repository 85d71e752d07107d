// seal-out and seal-in over a real store and keyring: recipients with different treatments are
// split into their own mails, a "force" recipient without a key fails with a DSN and never gets
// clear text, calendar invitations stay unsealed, OpenPGP made by seal-out opens in seal-in,
// a corrupt encrypted mail is delivered with a header (or held, as the policy says), and a
// forged verdict header is removed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Envelope, StageResult } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import type { StageContext } from '../../flow/stage.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import type { ClaimedMail } from '../../store/store.ts';
import { createLogger } from '../log-manager/logger.ts';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';
import { sealerConfigSchema, type SealerPolicyInput } from './config.ts';
import { createRootCa, issueUserCertificate } from './keys/certificate-authority.ts';
import { KeyVault } from './keys/key-vault.ts';
import { Keyring } from './keys/keyring.ts';
import { pemEncode } from './keys/x509.ts';
import { parseEntity, headerValue } from './mime/entity.ts';
import { SealerPolicies } from './policy.ts';
import { createSealInStage } from './seal-in.ts';
import { createSealOutStage } from './seal-out.ts';
import { openEnvelopedData } from './smime/cms-enveloped.ts';
import { cmsOf } from './smime/smime-mime.ts';

let dir: string;
let store: SqliteStore;
let keyring: Keyring;
const partner = issueUserCertificate(createRootCa('Partner CA'), 'bob@partner.test', 10);
let policies = new SealerPolicies([]);
const config = sealerConfigSchema.parse({});
const log = createLogger('test', []);

const setPolicies = (p: SealerPolicyInput[]) => {
  policies = new SealerPolicies(sealerConfigSchema.parse({ policies: p }).policies);
};
const deps = () => ({ keyring: () => keyring, policies: () => policies, config: () => config });
const sealOut = () => createSealOutStage({ ...deps(), hostname: 'gate.example.test' });
const sealIn = () => createSealInStage(deps());

before(async () => {
  dir = await tempDir('gatehouse-seal-');
  store = openSqliteStore(join(dir, 'data'));
  const { vault } = await KeyVault.open(join(dir, 'data'));
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
  await keyring.import(Buffer.from(pemEncode('CERTIFICATE', partner.der)), { actor: 'test' });
});
after(async () => {
  await store.close();
  await removeTempDir(dir);
});

async function claim(body: string, envelope: Omit<Partial<Envelope>, 'recipients'> & { recipients: string[] }): Promise<{ mail: ClaimedMail; ctx: StageContext }> {
  const id = newMailId();
  const data = Buffer.from(body.replace(/\r?\n/g, '\r\n'));
  const w = await store.bodies.create(id);
  await w.write(data);
  await w.commit();
  const env: Envelope = { sender: 'alice@example.test', direction: 'outbound', source: 'smtp', ...envelope, recipients: envelope.recipients.map((address) => ({ address, status: 'pending' })) };
  const now = Date.now();
  const mail: ClaimedMail = { id, queue: 'seal-out', envelope: env, size: data.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 't', leaseUntil: now + 60_000 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
  return { mail, ctx };
}

const bodyOf = async (r: StageResult) => (await store.bodies.read(r.bodyKey!)).toString('latin1');
const MAIL = 'From: Alice <alice@example.test>\nTo: several\nSubject: quarterly numbers\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nthe numbers are good\n';

test('seal-out splits recipients by treatment; a force recipient without a key fails with a DSN', async () => {
  setPolicies([
    { name: 'partners', recipients: ['*@partner.test'], encrypt: 'force', method: 'smime' },
    { name: 'others', recipients: ['*@other.test'], encrypt: 'if-possible', method: 'auto' },
  ]);
  const { mail, ctx } = await claim(MAIL, { recipients: ['bob@partner.test', 'carol@other.test', 'dave@partner.test', 'erin@nopolicy.test'] });
  const r = await sealOut().process(mail, ctx);
  assert.equal(r.outcome.kind, 'advance');
  assert.equal(r.bodyKey, undefined, 'the unsealed group keeps the original body');
  assert.deepEqual(
    r.envelope!.recipients.map((x) => `${x.address}:${x.status}`),
    ['carol@other.test:pending', 'dave@partner.test:failed', 'erin@nopolicy.test:pending'],
  );
  assert.match(r.envelope!.recipients[1].response ?? '', /^550 5\.7\.5 encryption required by policy "partners"/);
  const [sealed, dsn] = [r.generated!.find((g) => g.envelope.source !== 'bounce')!, r.generated!.find((g) => g.envelope.source === 'bounce')!];
  assert.deepEqual(sealed.envelope.recipients.map((x) => x.address), ['bob@partner.test']);
  assert.equal(sealed.queue, 'deliver');
  const e = parseEntity(sealed.body);
  assert.equal(headerValue(e.headers, 'subject'), 'quarterly numbers', 'outer headers stay');
  assert.doesNotMatch(sealed.body.toString(), /numbers are good/);
  const inner = openEnvelopedData(cmsOf(e), [{ id: 'bob', certificate: partner.der, privateKey: () => partner.privateKey }]).content.toString();
  // Protected headers (the default "copy"): the user-facing fields sealed inside too.
  assert.match(inner, /^From: Alice <alice@example\.test>\r\nTo: several\r\nSubject: quarterly numbers\r\nContent-Type: text\/plain; charset=utf-8; protected-headers="v1"\r\n\r\nthe numbers are good\r\n$/);
  assert.deepEqual(dsn.envelope.recipients.map((x) => x.address), ['alice@example.test']);
  assert.match(dsn.body.toString(), /Status: 5\.7\.5/);
  assert.ok(r.outcome.kind === 'advance' && /S\/MIME encrypted for 1 recipient\(s\) \("partners"\)/.test(r.outcome.note ?? ''), JSON.stringify(r.outcome));
});

test('seal-out: all recipients failing under force ends the mail as bounced; a null sender gets no DSN', async () => {
  setPolicies([{ name: 'signers', recipients: ['*'], sign: 'force', method: 'smime' }]);
  const { mail, ctx } = await claim(MAIL, { sender: 'nobody-with-a-key@example.test', recipients: ['x@y.test'] });
  const r = await sealOut().process(mail, ctx);
  assert.equal(r.outcome.kind, 'finish');
  assert.ok(r.outcome.kind === 'finish' && r.outcome.state === 'bounced' && /signing required/.test(r.outcome.reason));
  const nul = await claim(MAIL, { sender: '', recipients: ['x@y.test'] });
  const r2 = await sealOut().process(nul.mail, nul.ctx);
  assert.equal(r2.outcome.kind, 'finish');
  assert.deepEqual(r2.generated, []);
});

test('seal-out leaves calendar invitations unsealed when the policy says so', async () => {
  setPolicies([{ name: 'partners', recipients: ['*@partner.test'], encrypt: 'if-possible', method: 'smime' }]);
  const invite = 'From: alice@example.test\nSubject: meeting\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nEND:VCALENDAR\n';
  const { mail, ctx } = await claim(invite, { recipients: ['bob@partner.test'] });
  const r = await sealOut().process(mail, ctx);
  assert.equal(r.bodyKey, undefined);
  assert.ok(r.outcome.kind === 'advance' && /calendar invitation/.test(r.outcome.note ?? ''));
});

test('OpenPGP: what seal-out signs and encrypts, seal-in decrypts and finds validly signed', async () => {
  await keyring.issue('alice@example.test', { pgp: true, actor: 'test' });
  await keyring.issue('zoe@example.test', { pgp: true, actor: 'test' });
  setPolicies([{ name: 'pgp', recipients: ['zoe@example.test'], direction: 'internal', sign: 'force', encrypt: 'force', method: 'pgp' }]);
  const { mail, ctx } = await claim(MAIL, { direction: 'internal', recipients: ['zoe@example.test'] });
  const out = await sealOut().process(mail, ctx);
  const sealed = await bodyOf(out);
  assert.match(sealed, /Content-Type: multipart\/encrypted; protocol="application\/pgp-encrypted"/);
  // The same bytes arrive from outside for zoe.
  const back = await claim(sealed, { direction: 'inbound', sender: 'alice@example.test', recipients: ['zoe@example.test'] });
  const r = await sealIn().process(back.mail, back.ctx);
  const text = await bodyOf(r);
  assert.match(text, /^X-Gatehouse-Decryption: decrypted; method=pgp/m);
  assert.match(text, /^X-Gatehouse-Signature: valid; method=pgp; signer=alice@example\.test/m);
  assert.match(text, /\r\n\r\nthe numbers are good\r\n$/);
  assert.match(text, /^Subject: quarterly numbers/m);
});

test('seal-in: a corrupt S/MIME mail is delivered as it came with a header saying why, or held by policy', async () => {
  const corrupt = 'From: x@outside.test\nSubject: broken\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nMIIBnotreallycms==\n';
  setPolicies([]);
  const a = await claim(corrupt, { direction: 'inbound', sender: 'x@outside.test', recipients: ['alice@example.test'] });
  const r = await sealIn().process(a.mail, a.ctx);
  assert.equal(r.outcome.kind, 'advance');
  const text = await bodyOf(r);
  assert.match(text, /^X-Gatehouse-Decryption: failed; method=smime; reason="unreadable CMS/m);
  assert.match(text, /MIIBnotreallycms==/, 'the content as it came');
  setPolicies([{ name: 'careful', direction: 'inbound', onFailure: 'hold' }]);
  const b = await claim(corrupt, { direction: 'inbound', sender: 'x@outside.test', recipients: ['alice@example.test'] });
  const held = await sealIn().process(b.mail, b.ctx);
  assert.deepEqual(held.outcome.kind === 'hold' && held.outcome.queue, 'hold');
});

test('seal-in removes a forged verdict header and leaves plain mail alone', async () => {
  setPolicies([]);
  const forged = 'From: x@outside.test\nSubject: trust me\nX-Gatehouse-Signature: valid; signer=ceo@example.test\n\nplain text\n';
  const a = await claim(forged, { direction: 'inbound', sender: 'x@outside.test', recipients: ['alice@example.test'] });
  const r = await sealIn().process(a.mail, a.ctx);
  const text = await bodyOf(r);
  assert.doesNotMatch(text, /X-Gatehouse-Signature/);
  assert.match(text, /plain text/);
  const plain = await claim('From: x@outside.test\nSubject: hi\n\nhello\n', { direction: 'inbound', sender: 'x@outside.test', recipients: ['alice@example.test'] });
  const p = await sealIn().process(plain.mail, plain.ctx);
  assert.equal(p.bodyKey, undefined);
  assert.deepEqual(p.outcome, { kind: 'advance', note: 'neither encrypted nor signed' });
});

test('seal-in: a policy with passEncrypted leaves encrypted mail byte for byte as it came', async () => {
  setPolicies([{ name: 'end-to-end users', direction: 'inbound', recipients: ['e2e@example.test'], passEncrypted: true }]);
  const enc = 'From: x@outside.test\nSubject: for e2e\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nMIIB\n';
  const a = await claim(enc, { direction: 'inbound', sender: 'x@outside.test', recipients: ['e2e@example.test'] });
  const r = await sealIn().process(a.mail, a.ctx);
  assert.equal(r.bodyKey, undefined);
  assert.deepEqual(r.outcome, { kind: 'advance', note: 'policy "end-to-end users": smime encrypted: passed untouched (policy "end-to-end users")' });
});

test('seal-out never seals twice: mail the sender encrypted already passes a "force" policy as it is', async () => {
  setPolicies([{ name: 'partners', recipients: ['*@partner.test'], sign: 'force', encrypt: 'force', method: 'smime' }]);
  const enc = 'From: alice@example.test\nSubject: e2e\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nMIIB\n';
  const { mail, ctx } = await claim(enc, { recipients: ['nokey@partner.test'] });
  const r = await sealOut().process(mail, ctx);
  assert.equal(r.bodyKey, undefined);
  assert.equal(r.outcome.kind, 'advance');
  assert.ok(r.outcome.kind === 'advance' && /encrypted by the sender already/.test(r.outcome.note ?? ''));
  assert.deepEqual(r.generated, []);
});
