// The portal's key handling: content sealed under its own key opens only with it, a wrapped key
// only under the right password-derived key and message id, and the verifier tells a wrong password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageKek, newContentKey, newSalt, open, passwordSecret, seal, verifierMatches, verifierOf } from './portal-crypto.ts';

test('content opens with its key and id only; a changed byte does not open', () => {
  const key = newContentKey();
  const sealed = seal(key, 'm1', Buffer.from('Subject: hi\r\n\r\nsecret body\r\n'));
  assert.equal(open(key, 'm1', sealed)?.toString(), 'Subject: hi\r\n\r\nsecret body\r\n');
  assert.equal(open(key, 'm2', sealed), null);
  assert.equal(open(newContentKey(), 'm1', sealed), null);
  const bad = Buffer.from(sealed);
  bad[bad.length - 1] ^= 1;
  assert.equal(open(key, 'm1', bad), null);
  assert.ok(!sealed.includes(Buffer.from('secret body')));
});

test('a key wrapped under a password opens with that password and message id only', async () => {
  const salt = newSalt();
  const secret = await passwordSecret('correct horse battery', salt);
  const contentKey = newContentKey();
  const wrapped = seal(messageKek(secret, 'm1'), 'm1', contentKey);
  assert.deepEqual(open(messageKek(await passwordSecret('correct horse battery', salt), 'm1'), 'm1', wrapped), contentKey);
  assert.equal(open(messageKek(await passwordSecret('wrong horse battery', salt), 'm1'), 'm1', wrapped), null);
  assert.equal(open(messageKek(secret, 'm2'), 'm2', wrapped), null);
  const verifier = verifierOf(secret);
  assert.equal(verifierMatches(secret, verifier), true);
  assert.equal(verifierMatches(await passwordSecret('wrong horse battery', salt), verifier), false);
});
