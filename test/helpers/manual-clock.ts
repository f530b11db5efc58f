import type { Clock, TimerHandle } from '../../src/clock.ts';

interface Timer {
  at: number;
  /** Creation order: timers due at the same instant fire in the order they were set. */
  order: number;
  readonly callback: () => void;
  /** Set for intervals. */
  readonly every: number | undefined;
}

interface DueWaiter {
  readonly within: number;
  readonly resolve: () => void;
}

/**
 * A clock that only moves when the test says so. `advance` fires due timers in time order and,
 * after each one, lets the callback's promise chain run to completion (everything that does not
 * wait on real I/O), so a test can `await clock.advance(ms)` and then assert.
 */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private nextOrder = 0;
  private readonly timers = new Map<number, Timer>();
  private dueWaiters: DueWaiter[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, undefined);
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    // As Node does, an interval is at least 1 ms: a 0 ms interval would never let time move.
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as unknown as number);
  }

  /** Moves time forward by `ms`, firing due timers in order and settling each callback. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.time + ms);
  }

  /** Moves time forward to `time` (never back). */
  async advanceTo(time: number): Promise<void> {
    const end = Math.max(time, this.time);
    for (;;) {
      await settle();
      const next = this.nextDue(end);
      if (next === undefined) break;
      const [id, timer] = next;
      this.time = timer.at;
      if (timer.every === undefined) this.timers.delete(id);
      else {
        timer.at += timer.every;
        timer.order = this.nextOrder++;
      }
      timer.callback();
    }
    this.time = end;
    this.wakeDueWaiters();
    await settle();
  }

  /**
   * Resolves once a timer is pending that falls due within `ms` from now: how a test waits for
   * code reacting to real I/O (a file watch, a socket) to schedule its next step.
   */
  whenDueWithin(ms: number): Promise<void> {
    if (this.hasDueWithin(ms)) return Promise.resolve();
    return new Promise((resolve) => this.dueWaiters.push({ within: ms, resolve }));
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private add(callback: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), order: this.nextOrder++, callback, every });
    this.wakeDueWaiters();
    return id as unknown as TimerHandle;
  }

  private nextDue(end: number): [number, Timer] | undefined {
    let best: [number, Timer] | undefined;
    for (const entry of this.timers) {
      const t = entry[1];
      if (t.at > end) continue;
      if (best === undefined || t.at < best[1].at || (t.at === best[1].at && t.order < best[1].order)) best = entry;
    }
    return best;
  }

  private hasDueWithin(ms: number): boolean {
    for (const t of this.timers.values()) if (t.at <= this.time + ms) return true;
    return false;
  }

  private wakeDueWaiters(): void {
    const ready = this.dueWaiters.filter((w) => this.hasDueWithin(w.within));
    if (ready.length === 0) return;
    this.dueWaiters = this.dueWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}

/**
 * One turn of the event loop: every queued promise continuation runs first (however long the
 * chain), and I/O callbacks that are already ready get their turn. It never waits on time.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
