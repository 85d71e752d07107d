// The BAYES filter over the store's token table: scores a mail once enough of both classes were
// learned, learns mails (corpus imports, release = ham, report = spam) and keeps the table
// within `maxTokens` by dropping the least recently learned tokens after each learning run.
import type { BayesLesson, SpamStore } from '../../../store/store.ts';
import type { SpamfinderConfig } from '../config.ts';
import { classify, type BayesScore } from './classifier.ts';
import { mailTokens, type MailTokens } from './tokens.ts';

export interface BayesVerdict extends BayesScore {
  spam: boolean;
}

export class BayesFilter {
  constructor(
    private readonly store: SpamStore,
    private readonly cfg: SpamfinderConfig['bayes'],
  ) {}

  /** The verdict, or null when the filter is off or has not learned enough yet. */
  async check(t: MailTokens): Promise<BayesVerdict | null> {
    if (!this.cfg.enabled) return null;
    const totals = await this.store.bayesTotals();
    if (totals.spam < this.cfg.minTrained || totals.ham < this.cfg.minTrained) return null;
    const counts = await this.store.bayesTokens(t.hashes);
    const s = classify(t.hashes, counts, totals, {}, t.words);
    return { ...s, spam: s.score >= this.cfg.threshold };
  }

  /** Learns raw mails as one class; returns how many changed the model. */
  async learnRaw(mails: Buffer[], cls: 'spam' | 'ham'): Promise<number> {
    const lessons: BayesLesson[] = [];
    for (const raw of mails) {
      const t = await mailTokens(raw);
      lessons.push({ digest: t.digest, tokens: t.hashes, class: cls });
    }
    return this.learn(lessons);
  }

  async learn(lessons: BayesLesson[]): Promise<number> {
    const n = await this.store.bayesLearn(lessons);
    if (n) await this.store.bayesPrune(this.cfg.maxTokens);
    return n;
  }

  async status(): Promise<{ spam: number; ham: number; tokens: number; ready: boolean; maxTokens: number }> {
    const totals = await this.store.bayesTotals();
    const size = await this.store.bayesSize();
    return { ...totals, tokens: size.tokens, ready: totals.spam >= this.cfg.minTrained && totals.ham >= this.cfg.minTrained, maxTokens: this.cfg.maxTokens };
  }
}
