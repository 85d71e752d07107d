// The PostgreSQL spam store: the spam store conformance suite, and two nodes learning and
// challenging at once without losing or doubling a count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spamStoreConformance } from '../spam-conformance.ts';
import { pgFixture } from './pg-fixture.ts';

const fx = pgFixture();

spamStoreConformance({ name: 'postgres', open: () => fx.open() });

test('postgres: spam store: two nodes learning at once lose no count', async () => {
  const a = await fx.open(undefined, 'node-a');
  const b = await fx.open(a.url, 'node-b');
  try {
    const shared = [1, 2, 3, 4, 5];
    const lessons = (node: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ digest: `${node}-${i}`, tokens: [...shared, 1000 + i], class: (i % 2 ? 'ham' : 'spam') as 'spam' | 'ham' }));
    const batches = [];
    for (let i = 0; i < 10; i++) {
      batches.push(a.store.spam.bayesLearn(lessons(`a${i}`, 20)));
      batches.push(b.store.spam.bayesLearn(lessons(`b${i}`, 20)));
    }
    // The same mail learned on both nodes at once counts once.
    batches.push(a.store.spam.bayesLearn([{ digest: 'same', tokens: [7], class: 'spam' }]));
    batches.push(b.store.spam.bayesLearn([{ digest: 'same', tokens: [7], class: 'spam' }]));
    const changed = (await Promise.all(batches)).reduce((x, y) => x + y, 0);
    assert.equal(changed, 401);
    assert.deepEqual(await a.store.spam.bayesTotals(), { spam: 201, ham: 200 });
    const counts = await b.store.spam.bayesTokens([1, 5, 7]);
    assert.deepEqual(counts.get(1), { spam: 200, ham: 200 });
    assert.deepEqual(counts.get(5), { spam: 200, ham: 200 });
    assert.deepEqual(counts.get(7), { spam: 1, ham: 0 });
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});

test('postgres: spam store: one challenge per sender and period across two nodes', async () => {
  const a = await fx.open(undefined, 'node-a');
  const b = await fx.open(a.url, 'node-b');
  try {
    const now = Date.now();
    const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).store.spam.cissChallenge('z@out.test', now - 86_400_000, now)));
    assert.equal(sent.filter(Boolean).length, 1);
    const adds = await Promise.all([a.store.spam.fuzzyAdd({ digest: 'p', hashes: [1, 2] }), b.store.spam.fuzzyAdd({ digest: 'p', hashes: [1, 2] })]);
    assert.deepEqual(adds.sort(), [false, true]);
    assert.equal(await a.store.spam.fuzzyCount(), 1);
  } finally {
    await b.cleanup();
    await a.cleanup();
  }
});
