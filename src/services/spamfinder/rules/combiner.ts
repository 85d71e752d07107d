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
  /** How many rules counted for spam. */
  signs: number;
}

/** The Bayes score as a feature: its log-odds, scaled to -1..1 (the chi-square score saturates). */
export function bayesFeature(score: number): number {
  const p = Math.min(Math.max(score, 1e-4), 1 - 1e-4);
  return Math.log(p / (1 - p)) / Math.log((1 - 1e-4) / 1e-4);
}

/**
 * The feature vector for a set of weights: [Bayes towards spam, Bayes towards ham]? + one 0/1 per
 * rule, in `w.rules` order. Bayes' two sides get a weight each: how far its "spam" can be trusted
 * on mail from senders it never saw need not be how far its "ham" can.
 */
export function features(rules: readonly string[], bayes: number | null, names: readonly string[]): number[] {
  const hit = new Set(rules);
  const x = names.map((n) => (hit.has(n) ? 1 : 0));
  if (bayes === null) return x;
  const f = bayesFeature(bayes);
  return [Math.max(0, f), Math.min(0, f), ...x];
}

/** Log-odds the Bayes score adds under weights `w`. */
export function bayesEvidence(bayes: number, w: Weights): number {
  const f = bayesFeature(bayes);
  return f >= 0 ? w.bayes * f : (w.bayesHam ?? w.bayes) * f;
}

/**
 * Out of the box (rules alone, no Bayes) a mail needs at least this many spam signs: one sign is
 * never enough, as in SpamAssassin no single rule reaches the spam score. The rules-only weights
 * were learned on ham that nearly always shows a sign of wanted mail (list headers, a reply); mail
 * without one (a bounce, a Bcc'd note, a notification) would otherwise be spam on one weak sign.
 */
export const MIN_SIGNS_UNTRAINED = 2;

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
  const fromBayes = bayes === null ? 0 : bayesEvidence(bayes, w);
  z += fromBayes;
  hits.sort((a, b) => b.weight - a.weight);
  const score = sigmoid(z);
  const signs = hits.filter((h) => h.weight > 0).length;
  const enoughSigns = bayes !== null || signs >= MIN_SIGNS_UNTRAINED;
  return { score, spam: score >= threshold && enoughSigns, threshold, filter: bayes !== null && fromBayes >= fromRules ? 'BAYES' : 'RULES', hits, bayes, signs };
}

/** "HTML_LINK_MISMATCH(+1.9) SUBJ_ALL_CAPS(+0.8)": the rules that counted for spam. */
export function describeHits(hits: readonly RuleHit[], max = 6): string {
  return hits
    .filter((h) => h.weight > 0)
    .slice(0, max)
    .map((h) => `${h.name}(+${h.weight.toFixed(1)})`)
    .join(' ');
}
