// Bayes token hashes (53-bit integers) as a compact blob for the calibration sample: 8 bytes each
// (a float64 holds every 53-bit integer exactly), little-endian on every platform.
export function packTokens(tokens: readonly number[]): Buffer {
  const b = Buffer.alloc(tokens.length * 8);
  tokens.forEach((t, i) => b.writeDoubleLE(t, i * 8));
  return b;
}

export function unpackTokens(b: Buffer): number[] {
  const out = new Array<number>(b.length >> 3);
  for (let i = 0; i < out.length; i++) out[i] = b.readDoubleLE(i * 8);
  return out;
}
