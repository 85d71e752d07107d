// Per-user allow and block lists in the spamfinder stage: a recipient's own AWL wins over the
// company-wide block list for that recipient, its own block list holds mail only it receives, and
// for a mail to several recipients own lists decide only when they agree for all of them.
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

test('several recipients: own lists decide only when they agree for every recipient', async () => {
  await withStage(async ({ store, run }) => {
    await store.spam.addListEntry({ list: 'awl', value: '*@bulk.test', owner: 'a@example.test', createdBy: 'a' });
    await store.spam.addListEntry({ list: 'abl', value: 'pal@chatty.test', owner: 'a@example.test', createdBy: 'a' });
    // Only a allows: the company DBL holds the mail for both (one mail, one verdict).
    assert.equal((await run('news@bulk.test', ['a@example.test', 'b@example.test'])).verdict.filter, 'DBL');
    // Only a blocks: delivered to both.
    assert.equal((await run('pal@chatty.test', ['a@example.test', 'b@example.test'])).verdict.verdict, 'clean');
    // Both allow (each its own entry) → allowed.
    await store.spam.addListEntry({ list: 'dwl', value: 'bulk.test', owner: 'b@example.test', createdBy: 'b' });
    const both = await run('news@bulk.test', ['a@example.test', 'b@example.test']);
    assert.equal(both.verdict.verdict, 'allowed');
    assert.match(both.verdict.reason, /own list of a@example\.test, b@example\.test/);
    // Both block → held.
    await store.spam.addListEntry({ list: 'dbl', value: 'chatty.test', owner: 'b@example.test', createdBy: 'b' });
    assert.equal((await run('pal@chatty.test', ['a@example.test', 'b@example.test'])).verdict.filter, 'ABL');
  });
});
