/**
 * kube-proxy's ProxyHealthServer state (pkg/proxy/healthcheck/proxy_health.go), per IP family:
 *
 * - `queuedUpdate(f)`: a change is waiting; only the OLDEST pending time is kept.
 * - `updated(f)`: a sync of family f completed; clears its pending time, records lastUpdated.
 * - A family is unhealthy when its oldest pending change is at least `healthTimeout`
 *   (2 × syncPeriod) old. A family that was never `updated` is not judged at all: the proxier
 *   counts as healthy while starting up. The daemon calls `updated` when its sync loop starts
 *   (kube-proxy's SyncLoop does), so from then on a sync that never finishes turns it unhealthy.
 * - Node eligibility (deleting, or the autoscaler's ToBeDeleted taint) only affects /healthz.
 */
import { realClock, type Clock } from '../clock.ts';
import type { IpFamily } from '../validate/validate.ts';

export type FamilyName = 'IPv4' | 'IPv6';

export function familyName(family: IpFamily): FamilyName {
  return family === 4 ? 'IPv4' : 'IPv6';
}

export interface ProxierHealth {
  readonly lastUpdated: number;
  readonly healthy: boolean;
}

export interface HealthSnapshot {
  /** All families healthy. */
  readonly healthy: boolean;
  /** Newest lastUpdated of any family (ms since epoch), undefined before the first update. */
  readonly lastUpdated: number | undefined;
  readonly currentTime: number;
  /** Only families that were updated at least once, as upstream. */
  readonly status: ReadonlyMap<FamilyName, ProxierHealth>;
}

export interface ProxyHealthOptions {
  /** kube-proxy passes 2 × syncPeriod. */
  readonly healthTimeoutMs: number;
  readonly clock?: Clock;
}

export function healthTimeoutMs(syncPeriodMs: number): number {
  return 2 * syncPeriodMs;
}

export class ProxyHealth {
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly lastUpdated = new Map<FamilyName, number>();
  private readonly oldestPending = new Map<FamilyName, number>();
  // Eligible while starting up, until a node event says otherwise (upstream's initial value).
  private eligible = true;

  constructor(options: ProxyHealthOptions) {
    this.timeoutMs = options.healthTimeoutMs;
    this.clock = options.clock ?? realClock;
  }

  queuedUpdate(family: IpFamily): void {
    const name = familyName(family);
    if (!this.oldestPending.has(name)) this.oldestPending.set(name, this.clock.now());
  }

  updated(family: IpFamily): void {
    const name = familyName(family);
    this.oldestPending.delete(name);
    this.lastUpdated.set(name, this.clock.now());
  }

  setNodeEligible(eligible: boolean): void {
    this.eligible = eligible;
  }

  get nodeEligible(): boolean {
    return this.eligible;
  }

  health(): HealthSnapshot {
    const currentTime = this.clock.now();
    const status = new Map<FamilyName, ProxierHealth>();
    let lastUpdated: number | undefined;
    for (const [name, updated] of this.lastUpdated) {
      if (lastUpdated === undefined || updated > lastUpdated) lastUpdated = updated;
      const pending = this.oldestPending.get(name);
      status.set(name, { lastUpdated: updated, healthy: pending === undefined || currentTime - pending < this.timeoutMs });
    }
    const healthy = [...status.values()].every((s) => s.healthy);
    return { healthy, lastUpdated, currentTime, status };
  }
}
