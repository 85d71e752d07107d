// Profile choice: recipient address over domain over parent domain, first assigned recipient,
// built-in default otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spamfinderConfigSchema } from './config.ts';
import { profileFor } from './profiles.ts';

test('a recipient address assignment wins over its domain; unassigned mail gets the default profile', () => {
  const cfg = spamfinderConfigSchema.parse({
    profiles: { strict: { bayes: 'decline' }, lenient: { blocklist: 'mark' }, default: { bayes: 'mark' } },
    assign: { 'ceo@example.test': 'lenient', 'example.test': 'strict' },
  });
  assert.equal(profileFor(['ceo@example.test'], cfg).name, 'lenient');
  assert.equal(profileFor(['staff@example.test'], cfg).profile.bayes, 'decline');
  assert.equal(profileFor(['staff@sales.example.test'], cfg).name, 'strict', 'parent domains count');
  assert.equal(profileFor(['x@other.test', 'ceo@example.test'], cfg).name, 'lenient', 'first assigned recipient');
  assert.deepEqual(profileFor(['x@other.test'], cfg), { name: 'default', profile: cfg.profiles.default });
  const builtIn = profileFor(['x@other.test'], spamfinderConfigSchema.parse({}));
  assert.deepEqual(builtIn.profile, { blocklist: 'quarantine', fuzzy: 'quarantine', src: 'quarantine', bayes: 'quarantine', virus: 'quarantine', dmarc: 'mark', tag: '[SPAM]', ciss: false });
});
