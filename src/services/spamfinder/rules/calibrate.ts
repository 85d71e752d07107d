// Fits the Bayes side of the content filter to a site. How far a Bayes score can be trusted
// depends on the mail it learned from: a site whose ham comes from a few lists gets unsure scores
// for every new sender, a site with varied ham does not. The rule weights stay as shipped (learned
// on corpora, as SpamAssassin's scores); the bias and the two Bayes weights are refitted on the
// site's own learned mail, each mail scored by a Bayes that did not learn its sender (folds by
// source), as the shipped weights were fitted (bench/spam.ts cross-validation).
import { bayesFeature } from './combiner.ts';
import type { Weights } from './weights.ts';
import { fitSigned } from './fit.ts';

export interface CalibrationExample {
  /** Rule hits of the mail. */
  rules: readonly string[];
  /** Its Bayes score from a model that never saw its fold. */
  bayes: number;
  spam: boolean;
}

/** The shipped weights with bias and Bayes weights fitted to `examples` (rule weights held). */
export function calibrate(examples: readonly CalibrationExample[], base: Weights, opts: { l2?: number } = {}): Weights {
  const ruleSum = (rules: readonly string[]) => rules.reduce((z, r) => z + (base.rules[r] ?? 0), 0);
  const f = fitSigned(
    examples.map((e) => {
      const b = bayesFeature(e.bayes);
      return { x: [Math.max(0, b), Math.min(0, b)], spam: e.spam, offset: ruleSum(e.rules) };
    }),
    [1, 1],
    { l2: opts.l2 ?? 1 },
  );
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { ...base, bias: r2(f.bias), bayes: r2(f.weights[0]), bayesHam: r2(f.weights[1]) };
}
