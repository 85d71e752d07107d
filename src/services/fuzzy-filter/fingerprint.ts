// Fuzzy fingerprints of mail text: the normalised words in overlapping 4-word shingles, hashed,
// and the SKETCH smallest hashes kept (a bottom-k MinHash sketch). Two mails that differ in a few
// words, numbers, names or links share most of their sketch; unrelated mails share almost none.
import { hashToken } from '../spamfinder/bayes/tokens.ts';

export const SKETCH = 64;
const SHINGLE = 4;
/** Texts shorter than this many words give no fingerprint: too little to tell mails apart. */
export const MIN_WORDS = 20;

/** The sketch (sorted ascending), or null for a text too short to fingerprint. */
export function fingerprint(text: string): number[] | null {
  const words = text
    .slice(0, 64 * 1024)
    .toLowerCase()
    .replace(/\b(?:https?|ftp):\/\/\S+/g, ' url ')
    .replace(/\S+@\S+/g, ' email ')
    .match(/[\p{L}\p{N}]+/gu)
    ?.map((w) => (/\d/.test(w) ? '#' : w));
  if (!words || words.length < MIN_WORDS) return null;
  const hashes = new Set<number>();
  for (let i = 0; i + SHINGLE <= words.length; i++) hashes.add(hashToken(words.slice(i, i + SHINGLE).join(' ')));
  return [...hashes].sort((a, b) => a - b).slice(0, SKETCH);
}

/** Shared hashes over the larger sketch (0..1): a Jaccard-like estimate, as fuzzy-filter matches. */
export function similarity(a: readonly number[], b: readonly number[]): number {
  const set = new Set(a);
  let shared = 0;
  for (const h of b) if (set.has(h)) shared++;
  return shared / Math.max(1, a.length, b.length);
}
