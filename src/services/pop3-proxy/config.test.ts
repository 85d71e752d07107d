// The `pop3` config section: the issue's example is valid as written; plain text needs
// insecure: true; exactly one of password / passwordFile; names are unique.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from '../../config/load.ts';
import { mailboxPort, pop3MailboxSchema } from './config.ts';

const issueExample = {
  name: 'provider',
  host: 'pop.provider.test',
  port: 995,
  tls: 'implicit',
  user: 'alice',
  password: 'secret',
  interval: 300,
  keep: false,
  deliverTo: 'alice@example.test',
};

test('the example of the issue is a valid config, with seconds turned into ms', () => {
  const c = validateConfig({ pop3: { mailboxes: [issueExample] } });
  assert.equal(c.pop3.mailboxes[0].interval, 300_000);
  assert.equal(c.pop3.mailboxes[0].keep, false);
  assert.equal(c.pop3.mailboxes[0].timeout, 60_000);
  assert.deepEqual(validateConfig({}).pop3, { mailboxes: [] });
});

test('tls: none only with insecure: true', () => {
  assert.throws(() => validateConfig({ pop3: { mailboxes: [{ ...issueExample, tls: 'none' }] } }), (e: ConfigError) => /pop3\.mailboxes\[0\]\.tls.*insecure: true/.test(e.message));
  const ok = pop3MailboxSchema.parse({ ...issueExample, tls: 'none', insecure: true, port: undefined });
  assert.equal(mailboxPort(ok), 110);
});

test('exactly one of password and passwordFile', () => {
  const { password: _p, ...noPassword } = issueExample;
  assert.equal(pop3MailboxSchema.safeParse(noPassword).success, false);
  assert.equal(pop3MailboxSchema.safeParse({ ...issueExample, passwordFile: '/run/secret' }).success, false);
  assert.equal(pop3MailboxSchema.safeParse({ ...noPassword, passwordFile: '/run/secret' }).success, true);
});

test('mailbox names are unique and URL-safe; deliverTo is an address; unknown keys are refused', () => {
  assert.throws(() => validateConfig({ pop3: { mailboxes: [issueExample, issueExample] } }), /used twice/);
  assert.equal(pop3MailboxSchema.safeParse({ ...issueExample, name: 'a/b' }).success, false);
  assert.equal(pop3MailboxSchema.safeParse({ ...issueExample, deliverTo: 'alice' }).success, false);
  assert.throws(() => validateConfig({ pop3: { mailboxes: [{ ...issueExample, pasword: 'x' }] } }), /unknown key "pop3\.mailboxes\[0\]\.pasword"/);
});
