// The content verdict of a mail as the spamfinder stage and `gatehouse spamfinder check` give
// it: the Bayes score (when trained) and the rule hits combined (combiner.ts), the deciding filter
// (BAYES or RULES) and a reason naming the Bayes clues and the rules that counted. With the
// rule layer switched off it is the Bayes verdict alone, as before the rule layer existed.
import type { BayesFilter, BayesVerdict } from '../bayes/bayes-filter.ts';
import type { MailTokens } from '../bayes/tokens.ts';
import type { SpamfinderConfig } from '../config.ts';
import { combine, describeHits, MIN_SIGNS_UNTRAINED, type ContentVerdict } from './combiner.ts';

export interface ContentResult {
  /** Bayes alone (null: off or not trained yet). */
  bayes: BayesVerdict | null;
  /** Bayes + rules (null: the rule layer is off). */
  combined: ContentVerdict | null;
  spam: boolean;
  /** The deciding filter when spam. */
  filter: 'BAYES' | 'RULES' | null;
  /** The spam probability the verdict rests on (combined, else Bayes), 4 decimals; null when neither had a say. */
  score: number | null;
  /** "spam probability 0.98 ≥ 0.7 (Bayes 0.999: …; rules: …)". */
  reason: string;
  /** One line for `checks.RULES`. */
  rulesCheck: string;
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;

export async function contentVerdict(bayes: BayesFilter, t: MailTokens, cfg: Pick<SpamfinderConfig, 'bayes' | 'rules'>): Promise<ContentResult> {
  const b = await bayes.check(t);
  const clues = b ? b.clues.slice(0, 5).map((c) => `${c.token}=${c.p}`).join(' ') : '';
  if (!cfg.rules.enabled) {
    const score = b ? r4(b.score) : null;
    return {
      bayes: b,
      combined: null,
      spam: !!b?.spam,
      filter: b?.spam ? 'BAYES' : null,
      score,
      reason: b ? `spam probability ${score} ${b.spam ? '≥' : '<'} ${cfg.bayes.threshold} (${clues})` : 'Bayes not trained yet',
      rulesCheck: 'off',
    };
  }
  const c = combine(t.rules, b ? b.score : null, b ? cfg.rules.threshold : cfg.rules.untrainedThreshold, b ? await bayes.weights() : undefined);
  const score = r4(c.score);
  const rules = describeHits(c.hits);
  const parts = [b ? `Bayes ${r4(b.score)}: ${clues}` : 'Bayes not trained yet', `rules: ${rules || 'none for spam'}`];
  return {
    bayes: b,
    combined: c,
    spam: c.spam,
    filter: c.spam ? c.filter : null,
    score,
    reason:
      !c.spam && c.score >= c.threshold
        ? `spam probability ${score} ≥ ${c.threshold} but only ${c.signs} spam sign (out of the box a mail needs ${MIN_SIGNS_UNTRAINED}) (${parts.join('; ')})`
        : `spam probability ${score} ${c.spam ? '≥' : '<'} ${c.threshold} (${parts.join('; ')})`,
    rulesCheck: c.hits.length ? c.hits.map((h) => `${h.name}(${h.weight >= 0 ? '+' : ''}${h.weight.toFixed(1)})`).join(' ') : 'none',
  };
}
