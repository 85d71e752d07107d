// Per-user allow and block lists in the spamfinder stage: a recipient's own AWL wins over the
// company-wide block list for that recipient, its own block list holds mail only it receives, and
// a mail to several recipients whose own lists (or profiles) disagree is split into copies, one
// verdict each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withStage } from './stage-harness.ts';

test("a recipient's own allow list wins over the company-wide block list, for that recipient only", async () => {
  await withStage(async ({ store, run }) => {
    assert.equal((await run('news@bulk.test', ['a@example.test'])).queue, 'quarantine:spam', 'company DBL holds it');
    await store.spam.addListEntry({ list: 'awl', value: 'news@bulk.test', owner: 'A@example.test', createdBy: 'a@example.test' });
    const a = await run('news@bulk.test', ['a@example.test']);
    assert.equal(a.queue, 'advance');
    assert.equal(a.verdict.verdict, 'allowed');
    assert.equal(a.verdict.filter, 'AWL');
    assert.match(a.verdict.reason, /news@bulk\.test matches news@bulk\.test \(own list of a@example\.test\)/);
    const b = await run('news@bulk.test', ['b@example.test']);
    assert.equal(b.queue, 'quarantine:spam', "a's list says nothing for b");
    assert.equal(b.verdict.filter, 'DBL');
  });
});

test("a recipient's own block list holds mail for that recipient and not for others", async () => {
  await withStage(async ({ store, run }) => {
    await store.spam.addListEntry({ list: 'dbl', value: 'chatty.test', owner: 'a@example.test', createdBy: 'a@example.test' });
    await store.spam.addListEntry({ list: 'sbl', value: 'weekly digest', owner: 'b@example.test', createdBy: 'b@example.test' });
    const a = await run('pal@chatty.test', ['a@example.test']);
    assert.equal(a.queue, 'quarantine:spam');
    assert.equal(a.verdict.filter, 'DBL');
    assert.match(a.verdict.reason, /DBL: pal@chatty\.test matches "chatty\.test" \(own list of a@example\.test\)/);
    assert.equal((await run('pal@chatty.test', ['b@example.test'])).verdict.verdict, 'clean');
    assert.equal((await run('x@y.test', ['b@example.test'], 'Your Weekly Digest')).verdict.filter, 'SBL');
    assert.equal((await run('x@y.test', ['a@example.test'], 'Your Weekly Digest')).verdict.verdict, 'clean');
  });
});

test('several recipients whose own lists disagree: the mail is split, each group gets its own verdict', async () => {
  await withStage(async ({ store, run }) => {
    await store.spam.addListEntry({ list: 'awl', value: '*@bulk.test', owner: 'a@example.test', createdBy: 'a' });
    await store.spam.addListEntry({ list: 'abl', value: 'pal@chatty.test', owner: 'a@example.test', createdBy: 'a' });
    // Only a allows: a gets it (own AWL), the copy for b is held by the company DBL.
    const allow = await run('news@bulk.test', ['a@example.test', 'b@example.test']);
    assert.deepEqual(allow.recipients, ['a@example.test']);
    assert.equal(allow.verdict.verdict, 'allowed');
    assert.equal(allow.copies.length, 1);
    assert.deepEqual(allow.copies[0].recipients, ['b@example.test']);
    assert.equal(allow.copies[0].queue, 'quarantine:spam');
    assert.equal(allow.copies[0].verdict.filter, 'DBL');
    assert.equal(allow.copies[0].body, allow.body, 'the copy has the same body');
    // Only a blocks: held for a, delivered to b.
    const block = await run('pal@chatty.test', ['b@example.test', 'a@example.test']);
    assert.deepEqual(block.recipients, ['b@example.test']);
    assert.equal(block.verdict.verdict, 'clean');
    assert.deepEqual(block.copies.map((c) => [c.recipients, c.queue, c.verdict.filter]), [[['a@example.test'], 'quarantine:spam', 'ABL']]);
    // Both allow (each its own entry) → allowed, one mail.
    await store.spam.addListEntry({ list: 'dwl', value: 'bulk.test', owner: 'b@example.test', createdBy: 'b' });
    const both = await run('news@bulk.test', ['a@example.test', 'b@example.test']);
    assert.equal(both.verdict.verdict, 'allowed');
    assert.equal(both.copies.length, 0);
    assert.match(both.verdict.reason, /own list of a@example\.test, b@example\.test/);
    // Both block → held, one mail.
    await store.spam.addListEntry({ list: 'dbl', value: 'chatty.test', owner: 'b@example.test', createdBy: 'b' });
    const held = await run('pal@chatty.test', ['a@example.test', 'b@example.test']);
    assert.equal(held.verdict.filter, 'ABL');
    assert.equal(held.copies.length, 0);
  });
});

test('recipients with different filter profiles are split: each group gets its profile\'s action', async () => {
  await withStage(
    async ({ run }) => {
      const r = await run('news@bulk.test', ['a@example.test', 'boss@example.test', 'c@example.test']);
      assert.deepEqual(r.recipients, ['a@example.test', 'c@example.test']);
      assert.equal(r.queue, 'quarantine:spam');
      assert.equal(r.verdict.profile, 'default');
      assert.equal(r.copies.length, 1);
      assert.deepEqual(r.copies[0].recipients, ['boss@example.test']);
      assert.equal(r.copies[0].verdict.profile, 'tagging');
      assert.equal(r.copies[0].queue, 'advance', 'marked, not held');
      assert.match(r.copies[0].body, /^Subject: \[SPAM\] Hello/m);
    },
    { lists: { dbl: ['bulk.test'] }, profiles: { tagging: { blocklist: 'mark', tag: '[SPAM]' } }, assign: { 'boss@example.test': 'tagging' } },
  );
});
