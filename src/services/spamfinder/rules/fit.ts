// Logistic regression for the content filter's weights: rule hits (and the Bayes score as one
// feature) → probability of spam, fitted by Newton's method with an L2 penalty so that a rule seen
// in few mails cannot get an extreme weight. Used by `BENCH_SPAM_MODE=cv` on the training part,
// as SpamAssassin learns its rule scores from a corpus; the appliance ships the fitted weights.

export interface Example {
  x: number[];
  spam: boolean;
  /** Added to the example's log-odds as is (weights held fixed). */
  offset?: number;
  /** How much the example counts (default 1). */
  weight?: number;
}

export interface Fitted {
  bias: number;
  weights: number[];
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Solves A·v = b (A symmetric positive definite, small) by Gaussian elimination with pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    const d = M[c][c] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / d;
      if (f) for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / (row[i] || 1e-12));
}

/** Fits bias + weights; `l2` penalises every weight (not the bias). */
export function fitLogistic(examples: Example[], opts: { l2?: number; iterations?: number } = {}): Fitted {
  const l2 = opts.l2 ?? 1;
  const dim = (examples[0]?.x.length ?? 0) + 1;
  let beta = new Array<number>(dim).fill(0);
  for (let it = 0; it < (opts.iterations ?? 25); it++) {
    const g = new Array<number>(dim).fill(0);
    const H = Array.from({ length: dim }, () => new Array<number>(dim).fill(0));
    for (const e of examples) {
      const v = [1, ...e.x];
      let z = e.offset ?? 0;
      for (let i = 0; i < dim; i++) z += beta[i] * v[i];
      const p = sigmoid(z);
      const k = e.weight ?? 1;
      const r = k * (p - (e.spam ? 1 : 0));
      const w = k * Math.max(p * (1 - p), 1e-9);
      for (let i = 0; i < dim; i++) {
        if (!v[i]) continue;
        g[i] += r * v[i];
        for (let j = 0; j < dim; j++) if (v[j]) H[i][j] += w * v[i] * v[j];
      }
    }
    for (let i = 1; i < dim; i++) {
      g[i] += l2 * beta[i];
      H[i][i] += l2;
    }
    H[0][0] += 1e-6;
    const step = solve(H, g);
    let moved = 0;
    beta = beta.map((b, i) => {
      moved = Math.max(moved, Math.abs(step[i]));
      return b - step[i];
    });
    if (moved < 1e-7) break;
  }
  return { bias: beta[0], weights: beta.slice(1) };
}

/**
 * Fits with each weight held to its declared direction (+1: counts for spam, -1: for wanted
 * mail): a weight that comes out the wrong way is fixed at 0 and the rest refitted. A rule then
 * never counts against what it documents, whatever quirk of a corpus would suggest.
 * `bounds[i]` (default none) caps a weight's size: one over it is fixed at the bound and the rest
 * refitted, so the others take up what the capped rule can no longer say.
 */
export function fitSigned(examples: Example[], signs: readonly (1 | -1)[], opts: { l2?: number; bounds?: readonly number[] } = {}): Fitted {
  const active = signs.map(() => true);
  const fixed = signs.map(() => 0);
  for (;;) {
    const idx = active.flatMap((a, i) => (a ? [i] : []));
    const offset = (e: Example) => (e.offset ?? 0) + e.x.reduce((z, x, i) => z + (x ? x * fixed[i] : 0), 0);
    const f = fitLogistic(examples.map((e) => ({ x: idx.map((i) => e.x[i]), spam: e.spam, offset: offset(e), weight: e.weight })), opts);
    const weights = [...fixed];
    idx.forEach((i, k) => (weights[i] = f.weights[k]));
    const wrong = idx.filter((i) => weights[i] * signs[i] < 0);
    const over = idx.filter((i) => Math.abs(weights[i]) > (opts.bounds?.[i] ?? Infinity));
    if (!wrong.length && !over.length) return { bias: f.bias, weights };
    if (wrong.length) {
      // Drop the most wrong one at a time: the others may turn right once it is gone.
      const worst = wrong.reduce((a, b) => (Math.abs(weights[b]) > Math.abs(weights[a]) ? b : a));
      active[worst] = false;
    } else {
      const worst = over.reduce((a, b) => (Math.abs(weights[b]) - opts.bounds![b] > Math.abs(weights[a]) - opts.bounds![a] ? b : a));
      active[worst] = false;
      fixed[worst] = signs[worst] * opts.bounds![worst];
    }
  }
}
