// Retry delays: doubling from retryInitial, capped at retryMax, ±10% jitter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoff } from './backoff.ts';

const opts = { retryInitial: 60_000, retryMax: 3_600_000 };
const mid = () => 0.5;

test('backoff starts at retryInitial and doubles per attempt', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoff(n, opts, mid)), [60_000, 120_000, 240_000, 480_000]);
});

test('backoff stops at retryMax, even after very many attempts', () => {
  assert.equal(backoff(7, opts, mid), 3_600_000);
  assert.equal(backoff(10_000, opts, mid), 3_600_000);
});

test('backoff jitter stays within ±10%', () => {
  assert.equal(backoff(1, opts, () => 0), 54_000);
  assert.equal(backoff(1, opts, () => 1), 66_000);
  for (let i = 0; i < 200; i++) {
    const d = backoff(3, opts);
    assert.ok(d >= 216_000 && d <= 264_000, String(d));
  }
});
