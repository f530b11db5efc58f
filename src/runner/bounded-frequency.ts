/**
 * kube-proxy's bounded-frequency runner: syncs run when asked, but never closer together than
 * `minInterval` (bursts of triggers coalesce into one sync), at least every `maxInterval` (a
 * periodic full resync), and after a failure again with capped exponential backoff. Only one
 * sync runs at a time; a trigger during a sync schedules exactly one more.
 */
import type { Clock, TimerHandle } from '../clock.ts';

export interface SyncRequest {
  /** True for the periodic resync and for retries after a failure. */
  readonly full: boolean;
}

export interface BoundedFrequencyOptions {
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  /** First retry delay after a failure; doubles up to maxIntervalMs. */
  readonly retryBaseMs?: number;
  readonly clock: Clock;
  /** Resolves true on success. Must not reject; a rejection counts as failure. */
  readonly sync: (request: SyncRequest) => Promise<boolean>;
  readonly onError?: (error: unknown) => void;
}

export class BoundedFrequencyRunner {
  private readonly o: BoundedFrequencyOptions;
  private timer: TimerHandle | undefined;
  private timerDue = Infinity;
  private running = false;
  private stopped = true;
  private pending = false;
  private pendingFull = false;
  private lastRunStart = -Infinity;
  private lastFullRun: number;
  private failures = 0;
  private current: Promise<void> = Promise.resolve();

  constructor(options: BoundedFrequencyOptions) {
    this.o = options;
    this.lastFullRun = options.clock.now();
  }

  start(): void {
    this.stopped = false;
    this.lastFullRun = this.o.clock.now();
    this.trigger(true);
  }

  /** Stops scheduling; resolves once a sync in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.current;
  }

  /** Asks for a sync as soon as minInterval allows. */
  trigger(full = false): void {
    this.pending = true;
    this.pendingFull ||= full;
    this.schedule();
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  private schedule(): void {
    if (this.stopped || this.running) return;
    const now = this.o.clock.now();
    const due = this.pending
      ? Math.max(now, this.lastRunStart + this.o.minIntervalMs, this.retryAt())
      : this.lastFullRun + this.o.maxIntervalMs;
    if (due >= this.timerDue && this.timer !== undefined) return;
    this.cancelTimer();
    this.timerDue = due;
    this.timer = this.o.clock.setTimeout(() => this.fire(), Math.max(0, due - now));
  }

  private retryAt(): number {
    if (this.failures === 0) return -Infinity;
    const base = this.o.retryBaseMs ?? 1000;
    return this.lastRunStart + Math.min(base * 2 ** (this.failures - 1), this.o.maxIntervalMs);
  }

  private cancelTimer(): void {
    this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    if (this.stopped) return;
    const now = this.o.clock.now();
    const periodic = now >= this.lastFullRun + this.o.maxIntervalMs;
    const full = this.pendingFull || periodic || this.failures > 0;
    this.pending = false;
    this.pendingFull = false;
    this.running = true;
    this.lastRunStart = now;
    if (full) this.lastFullRun = now;
    this.current = this.runOnce({ full });
  }

  private async runOnce(request: SyncRequest): Promise<void> {
    let ok = false;
    try {
      ok = await this.o.sync(request);
    } catch (error) {
      this.o.onError?.(error);
    }
    this.failures = ok ? 0 : this.failures + 1;
    if (!ok) this.pending = true;
    this.running = false;
    this.schedule();
  }
}
