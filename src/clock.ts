/**
 * Time, injected. Everything that reads the time or waits for it takes a Clock: the daemon passes
 * `realClock`, tests pass a manual clock they advance (test/helpers/manual-clock.ts). So no test
 * waits on wall-clock time, and backoff, polling, debouncing and (later) drain timers are all
 * driven the same way.
 */

declare const timerBrand: unique symbol;
/** Opaque: only the clock that made it can clear it. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface Clock {
  /** Milliseconds since the epoch (a manual clock starts wherever its test says). */
  now(): number;
  /** Runs `callback` once, `ms` from now. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Runs `callback` every `ms` until cleared. */
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval; undefined and spent handles are ignored. */
  clearTimer(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms) as unknown as TimerHandle,
  setInterval: (callback, ms) => setInterval(callback, ms) as unknown as TimerHandle,
  // Node's clearTimeout clears intervals too.
  clearTimer: (handle) => clearTimeout(handle as unknown as NodeJS.Timeout | undefined),
};

/**
 * Resolves `ms` from now, or as soon as `signal` aborts: callers that sleep in a loop re-check
 * whether they were stopped, and an abandoned sleep must not keep the process alive.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const wake = (): void => {
      clock.clearTimer(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = clock.setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/** An AbortSignal that fires `ms` from now on `clock`. `cancel()` once the guarded work is done. */
export function abortAfter(clock: Clock, ms: number): { readonly signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), ms);
  return { signal: controller.signal, cancel: () => clock.clearTimer(timer) };
}
