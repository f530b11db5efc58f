/**
 * The one object the daemon talks to: it turns proxier events into health and metric updates
 * the way kube-proxy's proxier does (Sync → QueuedUpdate; a completed syncProxyRules → Updated,
 * last-sync timestamp, network programming latency).
 */
import { realClock, type Clock } from '../clock.ts';
import type { SyncReport } from '../engine/proxier.ts';
import type { EndpointSliceInfo, ServiceName } from '../model/types.ts';
import { serviceName } from '../model/types.ts';
import type { IpFamily } from '../validate/validate.ts';
import type { PendingChanges, ProxierMetrics } from './metrics.ts';
import type { ProxyHealth } from './proxy-health.ts';

export interface ProxierObserverOptions {
  readonly families: readonly IpFamily[];
  readonly health: ProxyHealth;
  readonly metrics: ProxierMetrics;
  /** Changes waiting for the next sync (the engine's change trackers). */
  readonly pending: () => PendingChanges;
  readonly clock?: Clock;
}

export class ProxierObserver {
  private readonly o: ProxierObserverOptions;
  private readonly clock: Clock;
  /** Trigger times older than this predate us (upstream's trackerStartTime): not our latency. */
  private readonly startedAt: number;
  private readonly triggerTimes = new Map<IpFamily, Map<ServiceName, number[]>>();

  constructor(options: ProxierObserverOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.startedAt = this.clock.now();
  }

  /** The sync loop starts: upstream's SyncLoop marks every family updated "in case Sync() never succeeds". */
  syncLoopStarted(): void {
    const now = this.clock.now();
    for (const family of this.o.families) {
      this.o.health.updated(family);
      this.o.metrics.syncQueued(family, now);
    }
  }

  /** After `proxier.onServiceUpdate`. */
  serviceChanged(): void {
    this.o.metrics.serviceChanged();
    this.queueIfPending();
  }

  /** After `proxier.onEndpointSliceUpdate`, with the same arguments. */
  endpointSliceChanged(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void {
    this.o.metrics.endpointsChanged();
    this.recordTriggerTime(previous, current);
    this.queueIfPending();
  }

  setNodeEligible(eligible: boolean): void {
    this.o.health.setNodeEligible(eligible);
  }

  /** After every `proxier.sync()` that returned a report. */
  syncCompleted(report: SyncReport): void {
    const now = this.clock.now();
    for (const family of this.o.families) {
      this.o.metrics.syncObserved(family, report.durationMs / 1000, report.full);
      const failures = report.familyFailures.get(family) ?? [];
      if (failures.some((f) => f.step === 'iptables')) this.o.metrics.restoreFailed(family);
      const triggers = this.takeTriggerTimes(family);
      // Each step row says whether its failure makes the sync not count (plan/step-table.ts).
      if (failures.some((f) => f.abortsSync)) continue;
      this.o.health.updated(family);
      this.o.metrics.syncSucceeded(family, now);
      for (const t of triggers) this.o.metrics.networkProgrammed(family, Math.max(0, now - t) / 1000);
    }
    // Changes that arrived while the sync awaited the kernel are still waiting.
    this.queueIfPending();
  }

  private queueIfPending(): void {
    const pending = this.o.pending();
    if (pending.services + pending.endpoints === 0) return;
    const now = this.clock.now();
    for (const family of this.o.families) {
      this.o.health.queuedUpdate(family);
      this.o.metrics.syncQueued(family, now);
    }
  }

  /**
   * Upstream EndpointChangeTracker: a removed slice drops its service's trigger times (events
   * that cancel out programmed nothing); otherwise the slice's annotation time is kept if it is
   * newer than our start.
   */
  private recordTriggerTime(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void {
    const slice = current ?? previous;
    if (slice === undefined) return;
    const byService = this.triggerTimes.get(slice.family) ?? new Map<ServiceName, number[]>();
    this.triggerTimes.set(slice.family, byService);
    const name = serviceName(slice.namespace, slice.serviceName);
    if (current === undefined) {
      byService.delete(name);
      return;
    }
    const t = current.lastChangeTriggerTime;
    if (t !== undefined && t > this.startedAt) byService.set(name, [...(byService.get(name) ?? []), t]);
  }

  private takeTriggerTimes(family: IpFamily): number[] {
    const byService = this.triggerTimes.get(family);
    this.triggerTimes.delete(family);
    return byService === undefined ? [] : [...byService.values()].flat();
  }
}
