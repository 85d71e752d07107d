// The combiner and its fitter: logistic regression recovers the direction of known signals and
// keeps each weight to its rule's declared direction; the shipped weights make a sure Bayes score
// decide, let rules tip an unsure one, and work alone before Bayes is trained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bayesEvidence, bayesFeature, combine, describeHits, features } from './combiner.ts';
import { fitLogistic, fitSigned, sigmoid } from './fit.ts';
import { RULES } from './rules.ts';
import { RULES_ONLY, WITH_BAYES } from './weights.ts';
import { rulesSchema } from '../config.ts';

const UNTRAINED = rulesSchema.parse({}).untrainedThreshold;

/** A small deterministic data set: feature 0 counts for spam, feature 1 for ham, feature 2 is noise. */
function examples(): { x: number[]; spam: boolean }[] {
  const out: { x: number[]; spam: boolean }[] = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < 400; i++) {
    const spam = i % 3 === 0;
    out.push({ spam, x: [rnd() < (spam ? 0.8 : 0.1) ? 1 : 0, rnd() < (spam ? 0.1 : 0.7) ? 1 : 0, rnd() < 0.5 ? 1 : 0] });
  }
  return out;
}

test('fitLogistic finds the direction and size of each signal', () => {
  const f = fitLogistic(examples(), { l2: 0.1 });
  assert.ok(f.weights[0] > 2, `spam signal ${f.weights[0]}`);
  assert.ok(f.weights[1] < -1.5, `ham signal ${f.weights[1]}`);
  assert.ok(Math.abs(f.weights[2]) < 0.6, `noise ${f.weights[2]}`);
  assert.ok(f.bias < 0, 'a mail without signals is more likely ham (2 of 3 are)');
});

test('fitSigned holds weights to their declared direction', () => {
  // Declaring the ham signal as spammy: its weight is fixed at 0 instead of turning negative.
  const f = fitSigned(examples(), [1, 1, 1], { l2: 0.1 });
  assert.equal(f.weights[1], 0);
  assert.ok(f.weights[0] > 2);
  assert.ok(f.weights.every((w) => w >= 0));
});

test('shipped weights: one per rule, each in its rule\'s direction', () => {
  for (const w of [WITH_BAYES, RULES_ONLY]) {
    assert.deepEqual(Object.keys(w.rules).sort(), RULES.map((r) => r.name).sort());
    for (const r of RULES) assert.ok(r.spammy ? w.rules[r.name] >= 0 : w.rules[r.name] <= 0, `${r.name} ${w.rules[r.name]}`);
  }
  assert.ok(WITH_BAYES.bayes > 0);
});

test('combine: a sure Bayes score decides, rules tip an unsure one, ham rules pull down', () => {
  assert.equal(bayesFeature(0.5), 0);
  assert.ok(Math.abs(bayesFeature(1) - 1) < 1e-9 && Math.abs(bayesFeature(0) + 1) < 1e-9);

  const sure = combine([], 0.9999, 0.7);
  assert.ok(sure.spam && sure.filter === 'BAYES', JSON.stringify(sure));
  assert.ok(!combine([], 0.001, 0.7).spam);

  const unsure = combine([], 0.5, 0.7);
  assert.ok(!unsure.spam);
  const tipped = combine(['SUBJ_ALL_CAPS', 'BODY_SPAM_PHRASES', 'URI_NUMERIC_IP', 'SUBJ_TRAILING_ID'], 0.5, 0.7);
  assert.ok(tipped.spam && tipped.filter === 'RULES', JSON.stringify(tipped));
  assert.equal(tipped.hits[0].weight, Math.max(...tipped.hits.map((h) => h.weight)), 'strongest first');
  assert.match(describeHits(tipped.hits), /^[A-Z_]+\(\+\d\.\d\)( [A-Z_]+\(\+\d\.\d\))*$/);

  const pulled = combine(['HDR_IN_REPLY_TO', 'BODY_QUOTED_REPLY', 'HDR_MID_SAME_SITE'], 0.9, 0.7);
  assert.ok(pulled.score < combine([], 0.9, 0.7).score);
  const expect = sigmoid(WITH_BAYES.bias + WITH_BAYES.bayes * bayesFeature(0.9) + WITH_BAYES.rules.HDR_IN_REPLY_TO + WITH_BAYES.rules.BODY_QUOTED_REPLY + WITH_BAYES.rules.HDR_MID_SAME_SITE);
  assert.ok(Math.abs(pulled.score - expect) < 1e-12);

  // Bayes leaning to ham counts with its own weight (bayesHam), to spam with `bayes`.
  assert.ok(WITH_BAYES.bayesHam !== undefined && WITH_BAYES.bayesHam > 0);
  const w = { bias: 0, bayes: 4, bayesHam: 1, rules: {} };
  assert.ok(Math.abs(bayesEvidence(0.999, w) - 4 * bayesFeature(0.999)) < 1e-12);
  assert.ok(Math.abs(bayesEvidence(0.001, w) - bayesFeature(0.001)) < 1e-12);
  assert.ok(Math.abs(combine([], 0.001, 0.7, w).score - sigmoid(bayesFeature(0.001))) < 1e-12);
  assert.deepEqual(features(['X'], 0.001, ['X', 'Y']), [0, bayesFeature(0.001), 1, 0]);
  assert.equal(bayesEvidence(0.2, { bias: 0, bayes: 3, rules: {} }), 3 * bayesFeature(0.2), 'no bayesHam: one weight for both sides');
});

test('combine without Bayes uses the rules-only weights (out of the box)', () => {
  const clean = combine(['HDR_MID_SAME_SITE'], null, UNTRAINED);
  assert.ok(!clean.spam && clean.bayes === null && clean.filter === 'RULES');
  const spam = combine(['SUBJ_ALL_CAPS', 'BODY_SPAM_PHRASES', 'URI_NUMERIC_IP', 'HDR_PRIORITY_HIGH'], null, UNTRAINED);
  assert.ok(spam.spam, JSON.stringify(spam));
  // One rule alone never makes spam out of the box, even with nothing for wanted mail (a bounce, a Bcc'd note).
  for (const r of RULES) assert.ok(!combine([r.name], null, UNTRAINED).spam, r.name);
  const one = combine(['HDR_PRIORITY_HIGH'], null, UNTRAINED);
  assert.ok(one.score >= UNTRAINED && !one.spam && one.signs === 1, JSON.stringify(one));
  // With Bayes trained the combined probability alone decides.
  assert.equal(combine(['HDR_PRIORITY_HIGH'], 0.9999, 0.75).spam, true);
});
