// The BAYES filter over the store's token table: scores a mail once enough of both classes were
// learned, learns mails (corpus imports, release = ham, report = spam) and keeps the table
// within `maxTokens` by dropping the least recently learned tokens after each learning run.
// It also keeps the site's calibration (rules/calibrate.ts): learned mails go into a bounded
// sample, and a few seconds after learning the Bayes side of the content filter's weights is
// refitted on it and stored in the settings (`spamfinder.calibration`, read by every node).
import type { BayesLesson, SettingsStore, SpamStore } from '../../../store/store.ts';
import type { SpamfinderConfig } from '../config.ts';
import { calibrate, enoughToCalibrate, leaveSourceOut } from '../rules/calibrate.ts';
import { WITH_BAYES, type Weights } from '../rules/weights.ts';
import { classify, type BayesScore } from './classifier.ts';
import { mailTokens, type MailTokens } from './tokens.ts';

export interface BayesVerdict extends BayesScore {
  spam: boolean;
}

/** The stored calibration: the fitted Bayes side and what it was fitted on. */
export interface Calibration {
  bias: number;
  bayes: number;
  bayesHam: number;
  examples: { spam: number; ham: number };
  hamSources: number;
  at: number;
}

export const CALIBRATION_KEY = 'spamfinder.calibration';
/** Quiet time after learning before recalibrating (a corpus import arrives in many requests). */
const CALIBRATE_AFTER_MS = 5_000;
/** How long a node uses the calibration it read before reading it again (another node may have refitted). */
const WEIGHTS_TTL_MS = 30_000;

export class BayesFilter {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<Calibration | null> | null = null;
  private cached: { until: number; weights: Weights } | null = null;

  constructor(
    private readonly store: SpamStore,
    private readonly cfg: SpamfinderConfig['bayes'],
    /** Where the calibration is kept; without it the shipped weights are used and nothing is calibrated. */
    private readonly settings?: SettingsStore,
    private readonly onError: (err: Error) => void = () => {},
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
    for (const raw of mails) lessons.push(BayesFilter.lesson(await mailTokens(raw), cls));
    return this.learn(lessons);
  }

  /** A lesson from a tokenised mail, with the facts the calibration sample keeps. */
  static lesson(t: MailTokens, cls: 'spam' | 'ham'): BayesLesson {
    return { digest: t.digest, tokens: t.hashes, class: cls, sample: { source: t.source, rules: t.rules } };
  }

  async learn(lessons: BayesLesson[]): Promise<number> {
    const calibrating = !!this.settings && this.cfg.calibrate;
    const n = await this.store.bayesLearn(calibrating ? lessons : lessons.map(({ sample: _, ...l }) => l));
    if (n) await this.store.bayesPrune(this.cfg.maxTokens);
    if (n && calibrating) {
      await this.store.bayesPruneSamples(this.cfg.calibrationSample);
      this.scheduleCalibration();
    }
    return n;
  }

  private scheduleCalibration(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.calibrate().catch((err: Error) => this.onError(err));
    }, CALIBRATE_AFTER_MS);
    this.timer.unref();
  }

  /**
   * Refits the Bayes side of the weights on the calibration sample now (one run at a time) and
   * stores it; removes a stored calibration when the sample is too small (the shipped weights apply).
   */
  calibrate(): Promise<Calibration | null> {
    if (!this.settings) return Promise.resolve(null);
    const settings = this.settings;
    const run = async (): Promise<Calibration | null> => {
      const samples = await this.store.bayesSamples();
      const union = [...new Set(samples.flatMap((s) => s.tokens))];
      const examples = leaveSourceOut(samples, await this.store.bayesTokens(union), await this.store.bayesTotals(), this.cfg.minTrained);
      this.cached = null;
      if (!enoughToCalibrate(samples, examples)) {
        await settings.delete(CALIBRATION_KEY);
        return null;
      }
      const w = calibrate(examples, WITH_BAYES);
      const spam = examples.filter((e) => e.spam).length;
      const c: Calibration = {
        bias: w.bias,
        bayes: w.bayes,
        bayesHam: w.bayesHam ?? w.bayes,
        examples: { spam, ham: examples.length - spam },
        hamSources: new Set(samples.filter((s) => s.class === 'ham').map((s) => s.source)).size,
        at: Date.now(),
      };
      await settings.set(CALIBRATION_KEY, c);
      return c;
    };
    const p = (this.running ?? Promise.resolve(null)).then(run, run).finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  /** The weights of the Bayes + rules combination for this site: shipped rule weights, the Bayes side calibrated when it is. */
  async weights(): Promise<Weights> {
    if (this.cached && this.cached.until > Date.now()) return this.cached.weights;
    const c = this.settings && this.cfg.calibrate ? await this.settings.get<Calibration>(CALIBRATION_KEY) : undefined;
    const weights = c ? { ...WITH_BAYES, bias: c.bias, bayes: c.bayes, bayesHam: c.bayesHam } : WITH_BAYES;
    this.cached = { until: Date.now() + WEIGHTS_TTL_MS, weights };
    return weights;
  }

  async calibration(): Promise<Calibration | null> {
    return (this.settings ? await this.settings.get<Calibration>(CALIBRATION_KEY) : undefined) ?? null;
  }

  /** Stops a pending recalibration (service stop). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async status(): Promise<{ spam: number; ham: number; tokens: number; ready: boolean; maxTokens: number; calibration: Calibration | null }> {
    const totals = await this.store.bayesTotals();
    const size = await this.store.bayesSize();
    return { ...totals, tokens: size.tokens, ready: totals.spam >= this.cfg.minTrained && totals.ham >= this.cfg.minTrained, maxTokens: this.cfg.maxTokens, calibration: await this.calibration() };
  }
}
