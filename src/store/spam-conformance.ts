// Conformance suite of the SpamStore contract (Bayes tokens, filter lists, fuzzy prints, CISS):
// every backend runs it unchanged, like conformance.ts for queues and bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './store.ts';

export function spamStoreConformance(o: { name: string; open(): Promise<{ store: Store; cleanup(): Promise<void> }> }): void {
  const withStore = (name: string, fn: (s: Store) => Promise<void>) =>
    test(`${o.name}: spam store: ${name}`, async () => {
      const { store, cleanup } = await o.open();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });

  withStore('Bayes counts: learned once, moved on relearning, pruned to the bound', async (s) => {
    assert.deepEqual(await s.spam.bayesTotals(), { spam: 0, ham: 0 });
    assert.equal(await s.spam.bayesLearn([{ digest: 'm1', tokens: [1, 2, 3, 3], class: 'spam' }, { digest: 'm2', tokens: [3, 4], class: 'ham' }]), 2);
    assert.equal(await s.spam.bayesLearn([{ digest: 'm1', tokens: [1, 2, 3], class: 'spam' }]), 0);
    assert.deepEqual(await s.spam.bayesTotals(), { spam: 1, ham: 1 });
    const c = await s.spam.bayesTokens([1, 3, 9]);
    assert.deepEqual([c.get(1), c.get(3), c.has(9)], [{ spam: 1, ham: 0 }, { spam: 1, ham: 1 }, false]);
    assert.equal(await s.spam.bayesLearn([{ digest: 'm1', tokens: [1, 2, 3], class: 'ham' }]), 1);
    assert.deepEqual(await s.spam.bayesTotals(), { spam: 0, ham: 2 });
    assert.deepEqual((await s.spam.bayesTokens([3])).get(3), { spam: 0, ham: 2 });
    const many = Array.from({ length: 700 }, (_, i) => 1000 + i);
    await s.spam.bayesLearn([{ digest: 'm3', tokens: many, class: 'spam' }]);
    assert.ok((await s.spam.bayesPrune(500)) > 0);
    assert.equal((await s.spam.bayesSize()).tokens, 500);
  });

  withStore('calibration sample: kept with its facts, moved with its mail, bounded per class', async (s) => {
    const big = 2 ** 53 - 1;
    await s.spam.bayesLearn([
      { digest: 's1', tokens: [big, 7], class: 'spam', sample: { source: 'from:spam.example', rules: ['HDR_DATE_ODD'] } },
      { digest: 'h1', tokens: [7, 8], class: 'ham', sample: { source: 'list:dev.example.org', rules: [] } },
      { digest: 'x1', tokens: [9], class: 'ham' },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    await s.spam.bayesLearn([{ digest: 's2', tokens: [10], class: 'spam', sample: { source: 'from:spam.example', rules: [] } }]);
    let all = await s.spam.bayesSamples();
    assert.deepEqual(all.map((x) => x.digest).sort(), ['h1', 's1', 's2']);
    assert.deepEqual(all.find((x) => x.digest === 's1'), { digest: 's1', class: 'spam', source: 'from:spam.example', rules: ['HDR_DATE_ODD'], tokens: [big, 7] });
    // Released as ham: the sample follows its mail.
    await s.spam.bayesLearn([{ digest: 's1', tokens: [big, 7], class: 'ham' }]);
    all = await s.spam.bayesSamples();
    assert.equal(all.find((x) => x.digest === 's1')!.class, 'ham');
    // One per class: the newest stay.
    assert.equal(await s.spam.bayesPruneSamples(1), 1);
    assert.deepEqual((await s.spam.bayesSamples()).map((x) => x.digest).sort(), ['s1', 's2']);
  });

  withStore('Bayes counts never go negative: a mail moved after its tokens were pruned', async (s) => {
    const old = Array.from({ length: 20 }, (_, i) => 50_000 + i);
    await s.spam.bayesLearn([{ digest: 'old', tokens: old, class: 'spam' }]);
    await s.spam.bayesLearn([{ digest: 'new', tokens: Array.from({ length: 20 }, (_, i) => 60_000 + i), class: 'ham' }]);
    await s.spam.bayesPrune(20); // the least recently learned tokens go: those of "old"
    assert.equal((await s.spam.bayesTokens(old)).size, 0);
    assert.equal(await s.spam.bayesLearn([{ digest: 'old', tokens: old, class: 'ham' }]), 1);
    for (const [, c] of await s.spam.bayesTokens(old)) assert.deepEqual(c, { spam: 0, ham: 1 });
  });

  withStore('filter lists: add (idempotent), list by owner, remove', async (s) => {
    const a = await s.spam.addListEntry({ list: 'abl', value: '*@spam.test', createdBy: 't' });
    const again = await s.spam.addListEntry({ list: 'abl', value: '*@spam.test', createdBy: 't' });
    assert.equal(again.id, a.id);
    await s.spam.addListEntry({ list: 'awl', value: 'friend@x.test', owner: 'a@example.test', createdBy: 't' });
    assert.deepEqual((await s.spam.listEntries('')).map((e) => e.value), ['*@spam.test']);
    assert.equal((await s.spam.listEntries()).length, 2);
    assert.equal(await s.spam.removeListEntry(a.id), true);
    assert.equal(await s.spam.removeListEntry(a.id), false);
  });

  withStore('fuzzy prints: best match by shared hashes, once per digest, bounded', async (s) => {
    assert.equal(await s.spam.fuzzyAdd({ digest: 'p1', hashes: [1, 2, 3, 4] }), true);
    assert.equal(await s.spam.fuzzyAdd({ digest: 'p1', hashes: [1, 2, 3, 4] }), false);
    await s.spam.fuzzyAdd({ digest: 'p2', hashes: [3, 4, 5, 6, 7] });
    assert.deepEqual(await s.spam.fuzzyMatch([4, 5, 6, 99]), { digest: 'p2', shared: 3, size: 5 });
    assert.equal(await s.spam.fuzzyMatch([98, 99]), null);
    assert.equal(await s.spam.fuzzyPrune(1), 1);
    assert.equal(await s.spam.fuzzyCount(), 1);
  });

  withStore('CISS: known senders expire, the recipient AWL counts, one challenge per period', async (s) => {
    const now = Date.now();
    assert.equal(await s.spam.cissKnown('a@example.test', 'x@out.test', now), false);
    await s.spam.cissRemember([{ recipient: 'a@example.test', sender: 'X@out.test' }], now + 1000);
    assert.equal(await s.spam.cissKnown('A@example.test', 'x@out.test', now), true);
    assert.equal(await s.spam.cissKnown('a@example.test', 'x@out.test', now + 2000), false, 'expired');
    await s.spam.addListEntry({ list: 'awl', value: 'y@out.test', owner: 'a@example.test', createdBy: 't' });
    assert.equal(await s.spam.cissKnown('a@example.test', 'y@out.test', now), true);
    assert.equal(await s.spam.cissChallenge('z@out.test', now - 86_400_000, now), true);
    assert.equal(await s.spam.cissChallenge('z@out.test', now - 86_400_000, now + 10), false);
    assert.equal(await s.spam.cissChallenge('z@out.test', now + 5, now + 20), true, 'after the period');
  });
}
