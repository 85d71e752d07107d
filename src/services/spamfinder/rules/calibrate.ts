// Fits the Bayes side of the content filter to the site. How far a Bayes score can be trusted
// depends on the mail it learned from: a site whose ham comes from a few lists gets unsure scores
// for every new sender, a site with varied ham does not (measured: bench/spam.ts cross-validation
// over two corpora; docs/spamfinder.md). The rule weights stay as shipped (learned on corpora, as
// SpamAssassin's scores are); the bias and the two Bayes weights are refitted on the site's own
// learned mail, each mail scored by a Bayes that did not learn its source (its list or sender
// site), which is how the shipped weights were fitted.
import type { BayesCounts } from '../../../store/store.ts';
import { classify } from '../bayes/classifier.ts';
import { bayesFeature } from './combiner.ts';
import { fitLogistic } from './fit.ts';
import type { Weights } from './weights.ts';

export interface CalibrationExample {
  /** Rule hits of the mail. */
  rules: readonly string[];
  /** Its Bayes score from a model that never saw its source. */
  bayes: number;
  spam: boolean;
}

export interface SiteSample {
  class: 'spam' | 'ham';
  source: string;
  rules: readonly string[];
  tokens: readonly number[];
}

/** Fewest samples of each class, and ham sources, before a site's own weights replace the shipped ones. */
export const CALIBRATION_MIN = { perClass: 50, hamSources: 3 };

/**
 * Scores every sample by the site's Bayes with the samples of its own source taken out (`counts`:
 * the site's counts of the samples' tokens, `totals`: its learned mails). A sample whose source
 * leaves too little of either class (below `minTrained`) gives no example.
 */
export function leaveSourceOut(samples: readonly SiteSample[], counts: ReadonlyMap<number, BayesCounts>, totals: BayesCounts, minTrained: number): CalibrationExample[] {
  const bySource = new Map<string, SiteSample[]>();
  for (const s of samples) bySource.set(s.source, [...(bySource.get(s.source) ?? []), s]);
  const out: CalibrationExample[] = [];
  for (const group of bySource.values()) {
    const own = new Map<number, BayesCounts>();
    const ownTotals = { spam: 0, ham: 0 };
    for (const s of group) {
      ownTotals[s.class]++;
      for (const h of new Set(s.tokens)) {
        const c = own.get(h) ?? { spam: 0, ham: 0 };
        c[s.class]++;
        own.set(h, c);
      }
    }
    const rest = { spam: totals.spam - ownTotals.spam, ham: totals.ham - ownTotals.ham };
    if (rest.spam < minTrained || rest.ham < minTrained) continue;
    for (const s of group) {
      const local = new Map<number, BayesCounts>();
      for (const h of s.tokens) {
        const all = counts.get(h);
        if (!all) continue;
        const o = own.get(h) ?? { spam: 0, ham: 0 };
        const c = { spam: Math.max(0, all.spam - o.spam), ham: Math.max(0, all.ham - o.ham) };
        if (c.spam || c.ham) local.set(h, c);
      }
      out.push({ rules: s.rules, bayes: classify([...s.tokens], local, rest).score, spam: s.class === 'spam' });
    }
  }
  return out;
}

/** Whether `examples` are enough to calibrate on (CALIBRATION_MIN). */
export function enoughToCalibrate(samples: readonly SiteSample[], examples: readonly CalibrationExample[]): boolean {
  const spam = examples.filter((e) => e.spam).length;
  const hamSources = new Set(samples.filter((s) => s.class === 'ham').map((s) => s.source)).size;
  return spam >= CALIBRATION_MIN.perClass && examples.length - spam >= CALIBRATION_MIN.perClass && hamSources >= CALIBRATION_MIN.hamSources;
}

/**
 * Ham per spam the thresholds were chosen with (bench/spam.ts: 2500 ham + 500 spam per site). The
 * fit weighs the site's examples to this mix, whatever mix the site happened to learn: otherwise a
 * site that learned as much spam as ham would move the bias towards spam (measured: 0.8% false
 * positives instead of 0 on TREC 2007 mail learned 1:1), and the thresholds would no longer mean
 * what they were chosen for.
 */
export const REFERENCE_HAM_PER_SPAM = 5;

/**
 * The shipped weights with bias and Bayes weights fitted to `examples` (rule weights held). The
 * two Bayes weights are pulled towards the shipped ones, not towards 0 (L2 on the difference): a
 * site that has learned little moves them little — shrinking towards 0 made a small site (73
 * spam learned) ignore what its Bayes said about spam.
 */
export function calibrate(examples: readonly CalibrationExample[], base: Weights, opts: { l2?: number } = {}): Weights {
  const ruleSum = (rules: readonly string[]) => rules.reduce((z, r) => z + (base.rules[r] ?? 0), 0);
  const spam = examples.filter((e) => e.spam).length;
  const spamWeight = spam ? (examples.length - spam) / spam / REFERENCE_HAM_PER_SPAM : 1;
  const b0 = { spam: base.bayes, ham: base.bayesHam ?? base.bayes };
  const f = fitLogistic(
    examples.map((e) => {
      const b = bayesFeature(e.bayes);
      const x = [Math.max(0, b), Math.min(0, b)];
      return { x, spam: e.spam, offset: ruleSum(e.rules) + b0.spam * x[0] + b0.ham * x[1], weight: e.spam ? spamWeight : 1 };
    }),
    { l2: opts.l2 ?? 1 },
  );
  const r2 = (x: number) => Math.round(x * 100) / 100;
  // A Bayes weight never turns against what Bayes says (as fitSigned holds the shipped ones).
  return { ...base, bias: r2(f.bias), bayes: r2(Math.max(0, b0.spam + f.weights[0])), bayesHam: r2(Math.max(0, b0.ham + f.weights[1])) };
}
