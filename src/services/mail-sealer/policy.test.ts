// Policies decide in order, per recipient outbound and per mail inbound; globs match whole
// addresses case-insensitively; the YAML of the issue parses as written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { sealerConfigSchema } from './config.ts';
import { SealerPolicies, globToRegExp } from './policy.ts';

const ISSUE_YAML = `
sealer:
  policies:                       # first match wins
    - name: partners
      direction: outbound         # inbound | outbound
      senders: ["*@example.test"]
      recipients: ["*@partner.test"]
      sign: if-possible           # force | if-possible | never
      encrypt: force              # force | if-possible | if-possible-else-portal | never
      method: smime               # smime | pgp | portal | auto
`;

test("the issue's policy YAML parses as written, with defaults for the options", () => {
  const cfg = sealerConfigSchema.parse(parse(ISSUE_YAML).sealer);
  assert.deepEqual(cfg.policies[0], {
    name: 'partners',
    direction: 'outbound',
    senders: ['*@example.test'],
    recipients: ['*@partner.test'],
    sign: 'if-possible',
    encrypt: 'force',
    method: 'smime',
    passEncrypted: false,
    markSignature: 'header',
    excludeCalendar: true,
    onFailure: 'deliver',
  });
  assert.equal(sealerConfigSchema.safeParse({ policies: [{ name: 'x', encrypt: 'always' }] }).success, false);
  assert.equal(sealerConfigSchema.safeParse({ policies: [{ name: 'x', typo: true }] }).success, false);
});

test('first match wins, per recipient, by direction, sender and recipient', () => {
  const p = new SealerPolicies(
    sealerConfigSchema.parse({
      policies: [
        { name: 'ceo', senders: ['ceo@example.test'], recipients: ['*'], sign: 'force' },
        { name: 'partners', senders: ['*@example.test'], recipients: ['*@partner.test'], encrypt: 'force' },
        { name: 'inbound', direction: 'inbound', recipients: ['*@example.test'], passEncrypted: true },
        { name: 'anything', direction: 'any', recipients: ['*@any.test'] },
      ],
    }).policies,
  );
  assert.equal(p.forRecipient('outbound', 'ceo@example.test', 'x@partner.test')?.name, 'ceo');
  assert.equal(p.forRecipient('outbound', 'Bob@Example.test', 'X@PARTNER.test')?.name, 'partners');
  assert.equal(p.forRecipient('outbound', 'bob@example.test', 'x@elsewhere.test'), null);
  assert.equal(p.forRecipient('internal', 'bob@example.test', 'x@partner.test'), null, 'outbound policies are not for internal mail');
  assert.equal(p.forRecipient('outbound', 'bob@example.test', 'y@any.test')?.name, 'anything');
  assert.equal(p.forInbound('inbound', 'x@outside.test', ['nobody@else.test', 'alice@example.test'])?.name, 'inbound');
  assert.equal(p.forInbound('outbound', 'x@outside.test', ['alice@example.test']), null);
});

test('globs: "*" any characters, "?" one, the whole address, regex characters literal', () => {
  assert.equal(globToRegExp('*@example.test').test('a@example.test'), true);
  assert.equal(globToRegExp('*@example.test').test('a@example.test.evil'), false);
  assert.equal(globToRegExp('?@x.test').test('ab@x.test'), false);
  assert.equal(globToRegExp('a+b@x.test').test('a+b@x.test'), true);
  assert.equal(globToRegExp('a.b@x.test').test('axb@x.test'), false);
});
