// Archive policies: first match wins, every condition of a policy must hold, the Subject is read
// only when a policy that could match asks for it, and no match means archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { MailRecord } from '../../core/mail.ts';
import { archivePolicySchema } from './config.ts';
import { ArchivePolicies, globToRegExp, readSubject } from './policies.ts';

const mail = (o: Partial<MailRecord['envelope']> & { size?: number } = {}): MailRecord => ({
  id: 'm',
  queue: 'depot',
  envelope: { sender: 'news@lists.example.com', recipients: [{ address: 'bob@example.test', status: 'pending' }], direction: 'inbound', source: 'smtp', ...o },
  size: o.size ?? 1000,
  receivedAt: 0,
  queuedAt: 0,
  notBefore: 0,
  attempts: 0,
  delayNotified: false,
});

const policies = (list: unknown[]) => new ArchivePolicies(list.map((p) => archivePolicySchema.parse(p)));

test('globs match whole addresses, case-insensitive', () => {
  assert.ok(globToRegExp('*@lists.example.com').test('News@Lists.Example.com'));
  assert.ok(!globToRegExp('*@example.com').test('a@lists.example.com'));
  assert.ok(globToRegExp('a?c@x.test').test('abc@x.test'));
});

test('first matching policy decides; no match archives', async () => {
  const p = policies([
    { name: 'keep-ceo', recipient: 'ceo@example.test', archive: true, retentionDays: 7300 },
    { name: 'no-newsletters', direction: 'inbound', sender: ['*@lists.example.com'], archive: false },
    { name: 'no-huge', minSize: '10MB', archive: false },
  ]);
  const never = async () => assert.fail('subject read without a subject policy');
  assert.deepEqual(await p.decide(mail(), never), { archive: false, policy: 'no-newsletters' });
  assert.deepEqual(await p.decide(mail({ recipients: [{ address: 'CEO@example.test', status: 'pending' }] }), never), { archive: true, policy: 'keep-ceo', retentionDays: 7300 });
  assert.deepEqual(await p.decide(mail({ sender: 'a@b.test', size: 11 * 1024 * 1024 }), never), { archive: false, policy: 'no-huge' });
  assert.deepEqual(await p.decide(mail({ sender: 'a@b.test' }), never), { archive: true, policy: null });
  assert.deepEqual(await p.decide(mail({ direction: 'outbound' }), never), { archive: true, policy: null });
});

test('a subject policy reads the Subject (decoded) only when the rest matched', async () => {
  const p = policies([{ direction: 'outbound', subject: '^\\[auto\\]', archive: false }]);
  let reads = 0;
  const subject = async () => (reads++, '[auto] reply');
  assert.deepEqual(await p.decide(mail(), subject), { archive: true, policy: null });
  assert.equal(reads, 0);
  assert.deepEqual(await p.decide(mail({ direction: 'outbound' }), subject), { archive: false, policy: 'policy 1' });
  const raw = 'Received: x\r\nSubject: =?utf-8?q?=5Bauto=5D_gr=C3=BC=C3=9Fe?=\r\n\r\nbody\r\n';
  assert.equal(await readSubject(Readable.from([Buffer.from(raw)])), '[auto] grüße');
});

test('a bad regular expression or size is refused with the key named', () => {
  assert.throws(() => archivePolicySchema.parse({ subject: '(', archive: true }), /not a regular expression/);
  assert.throws(() => archivePolicySchema.parse({ minSize: 'ten', archive: true }), /not a size/);
});
