// Calibration of the content filter to a site: each learned mail scored without its own source,
// the Bayes side refitted with the rule weights held, and the result independent of the class mix
// the site happened to learn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrate, enoughToCalibrate, leaveSourceOut, type CalibrationExample, type SiteSample } from './calibrate.ts';
import { WITH_BAYES } from './weights.ts';

test('leaveSourceOut: a mail is scored by a Bayes that never saw its source', () => {
  // Token 1 appears only in the ham of list A; token 2 in ham everywhere; token 9 in spam.
  const samples: SiteSample[] = [
    ...Array.from({ length: 4 }, (): SiteSample => ({ class: 'ham', source: 'list:a', rules: [], tokens: [1, 2] })),
    ...Array.from({ length: 4 }, (): SiteSample => ({ class: 'ham', source: 'list:b', rules: [], tokens: [2] })),
    ...Array.from({ length: 4 }, (_, i): SiteSample => ({ class: 'spam', source: `from:s${i}.example`, rules: [], tokens: [9] })),
  ];
  const counts = new Map([
    [1, { spam: 0, ham: 4 }],
    [2, { spam: 0, ham: 8 }],
    [9, { spam: 4, ham: 0 }],
  ]);
  const ex = leaveSourceOut(samples, counts, { spam: 4, ham: 8 }, 3);
  assert.equal(ex.length, 12);
  // List A's mails: token 1 is unknown without list A, token 2 still says ham.
  assert.ok(ex[0].bayes < 0.2 && !ex[0].spam);
  // A source whose leaving out leaves too little of a class gives no example (minTrained 5: every source here).
  assert.equal(leaveSourceOut(samples, counts, { spam: 4, ham: 8 }, 5).length, 0);
});

const example = (spam: boolean, bayes: number, rules: string[] = []): CalibrationExample => ({ spam, bayes, rules });

test('calibrate: an informative Bayes gets weight; rule weights stay as shipped; enough data is required', () => {
  const ex = [
    ...Array.from({ length: 200 }, (_, i) => example(false, 0.05 + (i % 10) * 0.03)),
    ...Array.from({ length: 40 }, (_, i) => example(true, 0.7 + (i % 10) * 0.03)),
  ];
  const w = calibrate(ex, WITH_BAYES);
  assert.ok(w.bayes > 1, JSON.stringify(w));
  assert.deepEqual(w.rules, WITH_BAYES.rules);
  const samples = (n: number, sources: number): SiteSample[] => Array.from({ length: n }, (_, i) => ({ class: 'ham', source: `s${i % sources}`, rules: [], tokens: [] }));
  assert.equal(enoughToCalibrate(samples(200, 5), ex), false, 'fewer than 50 spam examples');
  assert.equal(enoughToCalibrate(samples(200, 5), [...ex, ...ex]), true);
  assert.equal(enoughToCalibrate(samples(200, 2), [...ex, ...ex]), false, 'ham from fewer than 3 sources');
});

test('calibrate: the class mix the site learned does not move the fit', () => {
  const ham = Array.from({ length: 250 }, (_, i) => example(false, 0.02 + (i % 25) * 0.03, i % 3 ? ['HDR_LIST'] : []));
  const spam = Array.from({ length: 50 }, (_, i) => example(true, 0.3 + (i % 10) * 0.07, i % 2 ? ['HDR_DATE_ODD'] : []));
  const fiveToOne = calibrate([...ham, ...spam], WITH_BAYES);
  const oneToOne = calibrate([...ham, ...spam, ...spam, ...spam, ...spam, ...spam], WITH_BAYES);
  for (const k of ['bias', 'bayes', 'bayesHam'] as const) assert.ok(Math.abs(fiveToOne[k]! - oneToOne[k]!) <= 0.02, `${k}: ${fiveToOne[k]} vs ${oneToOne[k]}`);
});

test('calibrate: a site that learned little stays near the shipped Bayes weights', () => {
  // 60 spam, 60 ham, perfectly told apart by Bayes and by a list header: nothing here says Bayes
  // should count for less than shipped.
  const ex = [
    ...Array.from({ length: 60 }, () => example(false, 0.01, ['HDR_LIST'])),
    ...Array.from({ length: 60 }, () => example(true, 0.99, [])),
  ];
  const w = calibrate(ex, WITH_BAYES);
  assert.ok(w.bayes >= WITH_BAYES.bayes - 1, `Bayes weight ${w.bayes} vs shipped ${WITH_BAYES.bayes}`);
});
