// The one clock: the helpers every timer-using module builds on, and the manual clock every
// time-dependent test drives (so its semantics are pinned here, not discovered in other tests).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { abortAfter, realClock, sleep } from '../../src/clock.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

describe('ManualClock', () => {
  it('fires due timers in time order, same-instant ones in the order they were set, and never early', async () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 30);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 20);
    clock.clearTimer(cancelled);
    await clock.advance(29);
    assert.deepEqual(fired, ['a@1010', 'b@1010']);
    assert.equal(clock.now(), 1029);
    await clock.advance(1);
    assert.deepEqual(fired, ['a@1010', 'b@1010', 'c@1030']);
    assert.equal(clock.pendingTimers, 0);
  });

  it('runs an interval once per period crossed, until cleared', async () => {
    const clock = new ManualClock();
    const at: number[] = [];
    const every = clock.setInterval(() => at.push(clock.now()), 100);
    await clock.advance(350);
    assert.deepEqual(at, [100, 200, 300]);
    clock.clearTimer(every);
    await clock.advance(1000);
    assert.deepEqual(at, [100, 200, 300]);
  });

  it('lets an async callback finish before the next timer fires, and fires timers it sets', async () => {
    const clock = new ManualClock();
    const steps: string[] = [];
    clock.setTimeout(() => {
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        steps.push(`async done@${clock.now()}`);
        clock.setTimeout(() => steps.push(`chained@${clock.now()}`), 5);
      })();
    }, 10);
    clock.setTimeout(() => steps.push(`second@${clock.now()}`), 10);
    await clock.advance(20);
    assert.deepEqual(steps, ['async done@10', 'second@10', 'chained@15']);
  });

  it('whenDueWithin resolves once code schedules a timer that soon, not for later ones', async () => {
    const clock = new ManualClock();
    clock.setTimeout(() => undefined, 1000);
    let due = false;
    const waiting = clock.whenDueWithin(100).then(() => { due = true; });
    await clock.advance(0);
    assert.equal(due, false);
    clock.setTimeout(() => undefined, 100);
    await waiting;
    assert.equal(due, true);
  });
});

describe('clock helpers', () => {
  it('sleep resolves on the clock, or at once when its signal aborts', async () => {
    const clock = new ManualClock();
    let woke = false;
    const slept = sleep(clock, 50).then(() => { woke = true; });
    await clock.advance(49);
    assert.equal(woke, false);
    await clock.advance(1);
    await slept;
    const stop = new AbortController();
    const abandoned = sleep(clock, 60_000, stop.signal);
    stop.abort();
    await abandoned;
    assert.equal(clock.pendingTimers, 0, 'an abandoned sleep leaves no timer');
  });

  it('abortAfter aborts on the clock, and cancel() leaves nothing scheduled', async () => {
    const clock = new ManualClock();
    const fires = abortAfter(clock, 100);
    const cancelled = abortAfter(clock, 100);
    cancelled.cancel();
    await clock.advance(100);
    assert.equal(fires.signal.aborted, true);
    assert.equal(cancelled.signal.aborted, false);
    assert.equal(clock.pendingTimers, 0);
  });

  it('the real clock clears intervals and timeouts alike', () => {
    const interval = realClock.setInterval(() => assert.fail('interval fired after clear'), 1);
    const timeout = realClock.setTimeout(() => assert.fail('timeout fired after clear'), 1);
    realClock.clearTimer(interval);
    realClock.clearTimer(timeout);
    realClock.clearTimer(undefined);
    assert.ok(Math.abs(realClock.now() - Date.now()) < 1000);
  });
});
