/**
 * Reads the kernel's IPVS dump for a scrape, without letting the kernel set the scrape's pace:
 * - one read is shared by every metric of a scrape (and by concurrent scrapes);
 * - a successful dump is reused for `cacheMs`, so a burst of scrapes costs one dump;
 * - a read gives up after `timeoutMs`; the dump keeps running and the next read waits on THAT
 *   dump instead of starting another, so a hung kernel never accumulates dumps.
 */
import { realClock, type Clock, type TimerHandle } from '../clock.ts';
import type { VirtualServerDump } from '../kernel/ipvs/types.ts';

export type StatsRead =
  | { readonly kind: 'ok'; readonly dump: readonly VirtualServerDump[] }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'error'; readonly error: unknown };

export interface VirtualServerStatsOptions {
  readonly dump: () => Promise<readonly VirtualServerDump[]>;
  readonly timeoutMs?: number;
  readonly cacheMs?: number;
  readonly clock?: Clock;
}

export class VirtualServerStats {
  private readonly options: VirtualServerStatsOptions;
  private readonly clock: Clock;
  private cached: { at: number; dump: readonly VirtualServerDump[] } | undefined;
  private inFlight: Promise<StatsRead> | undefined;
  private round: Promise<StatsRead> | undefined;

  constructor(options: VirtualServerStatsOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
  }

  /** Concurrent callers share one round; each round settles within timeoutMs. */
  read(): Promise<StatsRead> {
    if (this.cached !== undefined && this.clock.now() - this.cached.at < (this.options.cacheMs ?? 1000)) {
      return Promise.resolve({ kind: 'ok', dump: this.cached.dump });
    }
    this.round ??= this.startRound().finally(() => { this.round = undefined; });
    return this.round;
  }

  private startRound(): Promise<StatsRead> {
    const flight = this.inFlight ?? this.dumpOnce();
    if (this.inFlight === undefined) {
      this.inFlight = flight;
      // Cleared by identity: a dump that failed synchronously must not clear a newer one.
      void flight.then(() => { if (this.inFlight === flight) this.inFlight = undefined; });
    }
    let timer: TimerHandle | undefined;
    const timeout = new Promise<StatsRead>((resolve) => {
      timer = this.clock.setTimeout(() => resolve({ kind: 'timeout' }), this.options.timeoutMs ?? 2000);
    });
    return Promise.race([flight, timeout]).finally(() => this.clock.clearTimer(timer));
  }

  private async dumpOnce(): Promise<StatsRead> {
    try {
      const dump = await this.options.dump();
      this.cached = { at: this.clock.now(), dump };
      return { kind: 'ok', dump };
    } catch (error) {
      return { kind: 'error', error };
    }
  }
}
