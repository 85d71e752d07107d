// Fuzzy fingerprints: a spam text with a few words, numbers and links changed still matches its
// print; an unrelated text does not; too short a text gives no print; the print table is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../store/sqlite/open.ts';
import { validateConfig } from '../../config/load.ts';
import { fingerprint, similarity, SKETCH } from './fingerprint.ts';
import { FuzzyFilter } from './index.ts';

const SPAM = `Dear friend, we are pleased to inform you that your email address has been selected in our
international lottery programme and you have won the sum of 2,500,000 dollars. To claim your prize
contact our agent Mr John Smith at claims@lucky-draw.example and quote your reference number
REF-99812 within fourteen days, after which the prize will be returned to the treasury. Visit
http://lucky-draw.example/claim?id=99812 for the claim form. Congratulations once again from all of us.`;
const VARIANT = SPAM.replace('Dear friend', 'Dear winner').replace('2,500,000', '1,750,000').replace('Mr John Smith', 'Mrs Mary Jones').replace('REF-99812', 'REF-10442').replace('http://lucky-draw.example/claim?id=99812', 'http://other.example/x?y=1');
const HAM = `Hi team, the quarterly review is moved to Thursday at ten in the small meeting room. Please bring
the updated budget figures and the draft of the project plan so that we can agree on the next steps
before the holidays. Lunch will be provided afterwards. Thanks, and see you there. Anna from finance.`;

test('a variant of a spam text keeps most of its sketch; unrelated text shares almost nothing', () => {
  const a = fingerprint(SPAM)!;
  assert.equal(a.length, SKETCH);
  assert.ok(similarity(a, fingerprint(VARIANT)!) >= 0.5, String(similarity(a, fingerprint(VARIANT)!)));
  assert.ok(similarity(a, fingerprint(HAM)!) < 0.1);
  assert.equal(fingerprint('too short to say anything'), null);
});

test('FuzzyFilter: a confirmed spam print catches its variant, not ham; prints are bounded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-fuzzy-'));
  const store = openSqliteStore(dir);
  try {
    const config = validateConfig({ spamfinder: { fuzzy: { maxPrints: 100 } } });
    const f = new FuzzyFilter({ config, store: store.spam, log: console as never });
    await f.start();
    assert.equal(await f.check(VARIANT), null);
    assert.equal(await f.add(SPAM, 'd1'), true);
    assert.equal(await f.add(SPAM, 'd1'), false, 'a print is kept once');
    const hit = await f.check(VARIANT);
    assert.equal(hit?.digest, 'd1');
    assert.ok(hit!.similarity >= 0.5);
    assert.equal(await f.check(HAM), null);
    for (let i = 0; i < 120; i++) await f.add(`${HAM} number ${i} ${'word'.repeat(i % 7)} extra words to vary ${i * 7}`, `h${i}`);
    assert.ok((await f.count()) <= 100, 'the print table is bounded by maxPrints');
    await f.stop();
    assert.equal(await f.check(VARIANT), null, 'a stopped fuzzy-filter is skipped');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
