// The content filter's verdict: the Bayes score and the rule hits combined by learned weights
// (logistic regression, weights.ts) into one spam probability, and which of them decided: BAYES
// when the Bayes evidence outweighs the rules' together, else RULES. Without a trained Bayes
// the rules-only weights apply, so the filter works out of the box.
import { sigmoid } from './fit.ts';
import { RULES_ONLY, WITH_BAYES, type Weights } from './weights.ts';

export interface RuleHit {
  name: string;
  /** Its learned weight (log-odds; > 0 counts for spam). */
  weight: number;
}

export interface ContentVerdict {
  /** Spam probability, 0..1. */
  score: number;
  spam: boolean;
  threshold: number;
  /** BAYES or RULES: whose evidence weighed more. */
  filter: 'BAYES' | 'RULES';
  /** Rules hit, strongest first (with their weights). */
  hits: RuleHit[];
  /** The Bayes score used (null: Bayes not trained, rules only). */
  bayes: number | null;
}

/** The Bayes score as a feature: its log-odds, scaled to -1..1 (the chi-square score saturates). */
export function bayesFeature(score: number): number {
  const p = Math.min(Math.max(score, 1e-4), 1 - 1e-4);
  return Math.log(p / (1 - p)) / Math.log((1 - 1e-4) / 1e-4);
}

/** The feature vector for a set of weights: [bayes?] + one 0/1 per rule, in `w.rules` order. */
export function features(rules: readonly string[], bayes: number | null, names: readonly string[]): number[] {
  const hit = new Set(rules);
  const x = names.map((n) => (hit.has(n) ? 1 : 0));
  return bayes === null ? x : [bayesFeature(bayes), ...x];
}

export function combine(rules: readonly string[], bayes: number | null, threshold: number, w: Weights = bayes === null ? RULES_ONLY : WITH_BAYES): ContentVerdict {
  let z = w.bias;
  let fromRules = 0;
  const hits: RuleHit[] = [];
  for (const name of rules) {
    const weight = w.rules[name];
    if (weight === undefined) continue;
    z += weight;
    fromRules += weight;
    hits.push({ name, weight });
  }
  const fromBayes = bayes === null ? 0 : w.bayes * bayesFeature(bayes);
  z += fromBayes;
  hits.sort((a, b) => b.weight - a.weight);
  const score = sigmoid(z);
  return { score, spam: score >= threshold, threshold, filter: bayes !== null && fromBayes >= fromRules ? 'BAYES' : 'RULES', hits, bayes };
}

/** "HTML_LINK_MISMATCH(+1.9) SUBJ_ALL_CAPS(+0.8)": the rules that counted for spam. */
export function describeHits(hits: readonly RuleHit[], max = 6): string {
  return hits
    .filter((h) => h.weight > 0)
    .slice(0, max)
    .map((h) => `${h.name}(+${h.weight.toFixed(1)})`)
    .join(' ');
}
