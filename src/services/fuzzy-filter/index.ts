// fuzzy-filter: the store of fuzzy fingerprints of confirmed spam that the spamfinder asks. A
// mail confirmed as spam (learned as spam, reported from the quarantine) adds its print; a new
// mail whose print shares `fuzzy.threshold` of its sketch with a known one is caught as FUZZY.
// Deactivated or stopped, it is skipped: it only ever adds evidence, so the flow goes on.
import type { Config } from '../../config/schema.ts';
import type { SpamStore } from '../../store/store.ts';
import type { Logger } from '../log-manager/logger.ts';
import type { Service } from '../service.ts';
import { fingerprint } from './fingerprint.ts';

export interface FuzzyHit {
  /** Digest of the matching spam print. */
  digest: string;
  similarity: number;
}

export class FuzzyFilter implements Service {
  readonly name = 'fuzzy-filter' as const;
  readonly kind = 'auxiliary' as const;
  readonly description = 'Fuzzy-hash store of spam patterns that the spamfinder asks';
  readonly essential = false;
  readonly deactivatable = true;
  readonly mailHandling = false;
  onFailure?: (err: Error) => void;
  private running = false;

  constructor(private readonly d: { config: Config; store: SpamStore; log: Logger }) {}

  private get cfg() {
    return this.d.config.spamfinder.fuzzy;
  }

  configured(): boolean {
    return this.cfg.enabled;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  /** Asked only while running and configured. */
  get available(): boolean {
    return this.running && this.configured();
  }

  /** The known spam this text resembles, or null (also when the text is too short to tell). */
  async check(text: string): Promise<FuzzyHit | null> {
    if (!this.available) return null;
    const print = fingerprint(text);
    if (!print) return null;
    const m = await this.d.store.fuzzyMatch(print);
    if (!m) return null;
    // Shared hashes over the larger sketch (a Jaccard-like estimate), not over the smaller one:
    // containment would let a short text that is only a common footer match a long spam.
    const similarity = m.shared / Math.max(print.length, m.size);
    return similarity >= this.cfg.threshold ? { digest: m.digest, similarity: Math.round(similarity * 1000) / 1000 } : null;
  }

  /** Adds the print of a confirmed spam; false when the text is too short or already known. */
  async add(text: string, digest: string): Promise<boolean> {
    if (!this.configured()) return false;
    const print = fingerprint(text);
    if (!print) return false;
    const added = await this.d.store.fuzzyAdd({ digest, hashes: print });
    if (added) await this.d.store.fuzzyPrune(this.cfg.maxPrints);
    return added;
  }

  count(): Promise<number> {
    return this.d.store.fuzzyCount();
  }
}
