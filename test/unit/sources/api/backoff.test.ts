import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../../../src/sources/api/backoff.ts';

const options = { initialMs: 500, maxMs: 30_000, jitter: 0.2 };

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    assert.deepEqual([0, 1, 2, 5, 6, 7, 100].map((n) => backoffDelay(n, options, () => 0.5)), [500, 1000, 2000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('spreads each delay by ±jitter and never exceeds the cap', () => {
    assert.equal(backoffDelay(2, options, () => 0), 1600);
    assert.equal(backoffDelay(2, options, () => 0.999999), 2400);
    assert.equal(backoffDelay(10, options, () => 0.999999), 30_000);
    assert.equal(backoffDelay(10, options, () => 0), 24_000);
  });
});
