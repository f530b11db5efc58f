import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedFrequencyRunner, type SyncRequest } from '../../../src/runner/bounded-frequency.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

function setup(outcomes: boolean[] = []) {
  const clock = new ManualClock();
  const runs: { at: number; full: boolean }[] = [];
  const runner = new BoundedFrequencyRunner({
    minIntervalMs: 1000,
    maxIntervalMs: 30_000,
    retryBaseMs: 2000,
    clock,
    sync: (request: SyncRequest) => {
      runs.push({ at: clock.now(), full: request.full });
      return Promise.resolve(outcomes.shift() ?? true);
    },
  });
  return { clock, runs, runner };
}

describe('BoundedFrequencyRunner', () => {
  it('runs a full sync at start, then coalesces a burst into one sync after minInterval', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await clock.advance(0);
    assert.deepEqual(runs, [{ at: 0, full: true }]);
    for (let i = 0; i < 50; i++) runner.trigger();
    await clock.advance(999);
    assert.equal(runs.length, 1, 'minInterval is respected');
    await clock.advance(1);
    assert.deepEqual(runs[1], { at: 1000, full: false });
    await clock.advance(5000);
    assert.equal(runs.length, 2, 'the burst became exactly one sync');
    await runner.stop();
  });

  it('forces a full resync every maxInterval even without triggers', async () => {
    const { clock, runs, runner } = setup();
    runner.start();
    await clock.advance(30_000);
    assert.deepEqual(runs.map((r) => r.at), [0, 30_000]);
    assert.equal(runs[1]?.full, true);
    await runner.stop();
  });

  it('retries a failed sync with exponential backoff, and the retry is full', async () => {
    const { clock, runs, runner } = setup([true, false, false, true]);
    runner.start();
    await clock.advance(0);
    runner.trigger();
    await clock.advance(1000); // fails at 1000
    await clock.advance(2000); // retry at 3000 fails
    await clock.advance(4000); // retry at 7000 succeeds
    assert.deepEqual(runs.map((r) => [r.at, r.full]), [[0, true], [1000, false], [3000, true], [7000, true]]);
    assert.equal(runner.consecutiveFailures, 0);
    await runner.stop();
  });

  it('a trigger during a running sync schedules exactly one more', async () => {
    const clock = new ManualClock();
    let release: () => void = () => undefined;
    let calls = 0;
    const runner = new BoundedFrequencyRunner({
      minIntervalMs: 100, maxIntervalMs: 60_000, clock,
      sync: () => {
        calls++;
        return new Promise<boolean>((resolve) => { release = () => resolve(true); });
      },
    });
    runner.start();
    await clock.advance(0);
    runner.trigger();
    runner.trigger();
    await clock.advance(500);
    assert.equal(calls, 1, 'no overlap while a sync runs');
    release();
    await clock.advance(100);
    assert.equal(calls, 2);
    release();
    await clock.advance(1000);
    assert.equal(calls, 2);
    await runner.stop();
  });

  it('a rejected sync counts as a failure and is reported', async () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const runner = new BoundedFrequencyRunner({
      minIntervalMs: 10, maxIntervalMs: 60_000, clock, retryBaseMs: 10,
      sync: () => Promise.reject(new Error('boom')),
      onError: (e) => errors.push(e),
    });
    runner.start();
    await clock.advance(0);
    assert.equal(errors.length, 1);
    assert.equal(runner.consecutiveFailures, 1);
    await runner.stop();
    assert.equal(clock.pendingTimers, 0, 'stop cancels the retry');
  });
});
