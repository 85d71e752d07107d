// seal-out with the real portal-crypt service behind it (SQLite store, its own HTTP listener on
// loopback): a recipient a portal policy covers gets a notification with a working link instead
// of the mail, and the others get the mail without the sender's portal password header; a
// too-short sender password bounces; a stopped portal makes the mail wait; no portal bounces.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Envelope, StageResult } from '../../core/mail.ts';
import { newMailId } from '../../core/ids.ts';
import type { StageContext } from '../../flow/stage.ts';
import { validateConfig } from '../../config/load.ts';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/open.ts';
import type { ClaimedMail, NewMail } from '../../store/store.ts';
import { createLogger } from '../log-manager/logger.ts';
import { removeTempDir, tempDir } from '../../../test/helpers/tmp.ts';
import { KeyVault } from '../mail-sealer/keys/key-vault.ts';
import { Keyring } from '../mail-sealer/keys/keyring.ts';
import { SealerPolicies } from '../mail-sealer/policy.ts';
import type { PortalHandoff } from '../mail-sealer/portal-handoff.ts';
import { createSealOutStage } from '../mail-sealer/seal-out.ts';
import { PortalCrypt } from './index.ts';

let dir: string;
let store: SqliteStore;
let keyring: Keyring;
let portal: PortalCrypt;
let state: ReturnType<PortalHandoff['state']> = 'ready';
const submitted: NewMail[] = [];
const log = createLogger('test', []);

before(async () => {
  dir = await tempDir('gatehouse-portal-');
  const config = validateConfig({ hostname: 'gate.example.test', dataDir: join(dir, 'data'), domains: ['example.test'], portal: { listen: '127.0.0.1:0', minPasswordLength: 10 } });
  store = openSqliteStore(config.dataDir);
  const { vault } = await KeyVault.open(config.dataDir);
  keyring = new Keyring({ store: store.keys, vault, caName: 'Unit CA', userDays: 30 });
  await keyring.ensureCa();
  portal = new PortalCrypt({ config, store: store.portal, bodies: store.bodies, submit: async (m) => void submitted.push(...m), log });
  await portal.start();
});
after(async () => {
  await portal.stop();
  await store.close();
  await removeTempDir(dir);
});

const policies = new SealerPolicies(
  validateConfig({ sealer: { policies: [{ name: 'portal', recipients: ['*@partner.test'], encrypt: 'if-possible-else-portal', method: 'auto', sign: 'if-possible' }] } }).sealer.policies,
);
const sealOut = () =>
  createSealOutStage({
    keyring: () => keyring,
    policies: () => policies,
    config: () => validateConfig({}).sealer,
    hostname: 'gate.example.test',
    portal: () => ({ state: () => state, passwordHeader: portal.passwordHeader, deposit: (r) => portal.deposit(r) }),
  });

async function claim(body: string, recipients: string[]): Promise<{ mail: ClaimedMail; ctx: StageContext }> {
  const id = newMailId();
  const data = Buffer.from(body.replace(/\r?\n/g, '\r\n'));
  const w = await store.bodies.create(id);
  await w.write(data);
  await w.commit();
  const env: Envelope = { sender: 'alice@example.test', direction: 'outbound', source: 'smtp', recipients: recipients.map((address) => ({ address, status: 'pending' })) };
  const now = Date.now();
  const mail: ClaimedMail = { id, queue: 'seal-out', envelope: env, size: data.length, receivedAt: now, queuedAt: now, notBefore: 0, attempts: 0, delayNotified: false, bodyKey: id, leaseOwner: 't', leaseUntil: now + 60_000 };
  const ctx: StageContext = { openBody: () => store.bodies.open(id), readBody: () => store.bodies.read(id), bodies: store.bodies, log, signal: new AbortController().signal };
  return { mail, ctx };
}

const MAIL = (extra = '') => `From: Alice <alice@example.test>\nTo: several\nSubject: quarterly numbers\n${extra}MIME-Version: 1.0\nContent-Type: text/plain\n\nthe numbers are good\n`;
const linkIn = (r: StageResult) => /http:\/\/\S+\/portal\/open\?t=\S+/.exec(r.generated![0].body.toString().replace(/=\r\n/g, '').replace(/=3D/g, '='))![0];

test('nothing waits in the portal: no port is open', () => {
  assert.equal(portal.url, null);
});

test('a portal recipient gets a notification with a working link; the others get the mail without the password header', async () => {
  state = 'ready';
  const { mail, ctx } = await claim(MAIL('X-Portal-Password: told you by phone\n'), ['bob@partner.test', 'erin@plain.test']);
  const r = await sealOut().process(mail, ctx);
  assert.equal(r.outcome.kind, 'advance');
  assert.match((r.outcome as { note: string }).note, /encryption portal for 1 recipient/);
  assert.equal(r.generated?.length, 1);
  const note = r.generated![0];
  assert.deepEqual(note.envelope.recipients.map((x) => x.address), ['bob@partner.test']);
  assert.equal(note.envelope.sender, 'alice@example.test');
  const text = note.body.toString();
  assert.doesNotMatch(text, /numbers are good|quarterly|told you by phone/, 'no content, subject or password in the notification');
  assert.deepEqual(r.envelope!.recipients.map((x) => [x.address, x.status]), [['bob@partner.test', 'delivered'], ['erin@plain.test', 'pending']]);
  const plain = (await store.bodies.read(r.bodyKey!)).toString();
  assert.match(plain, /numbers are good/);
  assert.doesNotMatch(plain, /X-Portal-Password|told you by phone/i);

  const link = new URL(linkIn(r));
  assert.equal(link.origin, portal.url);
  link.hostname = '127.0.0.1'; // the notification names the gateway's hostname
  const page = await fetch(link);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /the password the sender gave you/);
  const stored = (await store.portal.list({ recipient: 'bob@partner.test' }))[0];
  assert.equal(stored.wrap, 'sender');
  assert.equal(stored.subject, 'quarterly numbers');
});

test('only portal recipients: the mail finishes as delivered; a too-short sender password bounces', async () => {
  state = 'ready';
  const ok = await claim(MAIL(), ['carol@partner.test']);
  const r = await sealOut().process(ok.mail, ok.ctx);
  assert.deepEqual([r.outcome.kind, (r.outcome as { state: string }).state], ['finish', 'delivered']);
  assert.equal(r.generated?.length, 1);

  const short = await claim(MAIL('X-Portal-Password: short\n'), ['dave@partner.test']);
  const b = await sealOut().process(short.mail, short.ctx);
  assert.deepEqual([b.outcome.kind, (b.outcome as { state: string }).state], ['finish', 'bounced']);
  assert.match(b.envelope!.recipients[0].response!, /shorter than 10 characters/);
  assert.equal(b.generated?.length, 1, 'a DSN to the sender');
  assert.equal(b.generated![0].envelope.recipients[0].address, 'alice@example.test');
});

test('a stopped portal makes the mail wait; no portal at all bounces it', async () => {
  state = 'down';
  const down = await claim(MAIL(), ['frank@partner.test']);
  const d = await sealOut().process(down.mail, down.ctx);
  assert.equal(d.outcome.kind, 'defer');
  assert.equal((await store.portal.list({ recipient: 'frank@partner.test' })).length, 0);
  state = 'absent';
  const absent = await claim(MAIL(), ['frank@partner.test']);
  const a = await sealOut().process(absent.mail, absent.ctx);
  assert.deepEqual([a.outcome.kind, (a.outcome as { state: string }).state], ['finish', 'bounced']);
  assert.match(a.envelope!.recipients[0].response!, /not available on this gateway/);
  state = 'ready';
});
