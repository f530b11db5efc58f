/**
 * What every source shares: changes go into the engine's trackers (and the observer's counters),
 * and the bounded-frequency runner decides when to sync. Sources only call the `*Changed` methods.
 */
import type { Logger } from 'pino';
import type { Proxier, SyncReport } from '../engine/proxier.ts';
import type { EndpointSliceInfo, Service } from '../model/types.ts';
import type { ProxierObserver } from '../observability/observer.ts';
import { realClock, type Clock, type TimerHandle } from '../clock.ts';
import type { KernelAddress } from '../model/node-state.ts';
import type { ModelLimits } from '../model/parse-result.ts';
import { BoundedFrequencyRunner } from '../runner/bounded-frequency.ts';
import { logSync } from './sync-logging.ts';

/** What the loop and the sources tell observability; ProxierObserver is the real one. */
export type SyncObserver = Pick<ProxierObserver, 'serviceChanged' | 'endpointSliceChanged' | 'syncLoopStarted' | 'syncCompleted' | 'setNodeEligible'>;

export interface SyncLoopOptions {
  readonly proxier: Proxier;
  readonly logger: Logger;
  readonly minSyncPeriodMs: number;
  readonly syncPeriodMs: number;
  readonly observer?: SyncObserver | undefined;
  /** Drives the runner and every timer of the sources built on this loop (default: real time). */
  readonly clock?: Clock;
  readonly onSync?: ((report: SyncReport) => void) | undefined;
  /**
   * Awaited after each sync, before the next one can start: the healthCheckNodePort servers follow
   * the sync's services and endpoint counts (observability/service-health.ts). Must not reject.
   */
  readonly afterSync?: (() => Promise<void>) | undefined;
  /** The kernel's address list (node IPs are an input: model/node-state.ts); absent: never read. */
  readonly nodeAddresses?: (() => Promise<readonly KernelAddress[]>) | undefined;
  /** How often the address list is re-read between syncs, so an address change triggers one (default 5 s). */
  readonly nodeAddressPollMs?: number;
  /**
   * What the source's parsers enforce from configuration (--service-node-port-range). Not the
   * loop's own: every source is built on these options, so this is where all of them get it.
   */
  readonly limits?: ModelLimits | undefined;
}

export class SyncLoop {
  private readonly o: SyncLoopOptions;
  private readonly runner: BoundedFrequencyRunner;
  private readonly clock: Clock;
  private pollTimer: TimerHandle | undefined;
  private addressesRead = false;

  constructor(options: SyncLoopOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.runner = new BoundedFrequencyRunner({
      minIntervalMs: options.minSyncPeriodMs,
      maxIntervalMs: options.syncPeriodMs,
      clock: this.clock,
      sync: async ({ full }) => {
        // The first sync needs the node's IPs; later changes arrive through the poll. Not on every
        // sync: the dump lists kube-ipvs0's addresses too (one per service), too much for the
        // endpoint-change path.
        if (!this.addressesRead) await this.readNodeAddresses();
        const report = await options.proxier.sync({ full });
        logSync(options.logger, report, (plan) => options.proxier.render(plan));
        options.observer?.syncCompleted(report);
        await options.afterSync?.();
        options.onSync?.(report);
        return report.failures.length === 0;
      },
      onError: (err) => options.logger.error({ err }, 'sync failed; retrying with a full sync'),
    });
  }

  serviceChanged(previous: Service | undefined, current: Service | undefined): void {
    this.o.proxier.onServiceUpdate(previous, current);
    this.o.observer?.serviceChanged();
  }

  endpointSliceChanged(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void {
    this.o.proxier.onEndpointSliceUpdate(previous, current);
    this.o.observer?.endpointSliceChanged(previous, current);
  }

  /** Asks for a sync when something is pending (sources call this after a batch of changes). */
  kick(): void {
    if (this.o.proxier.pendingChanges > 0) this.runner.trigger();
  }

  async readNodeAddresses(): Promise<void> {
    await readNodeAddresses(this.o);
    this.addressesRead = true;
  }

  start(): void {
    this.o.observer?.syncLoopStarted();
    this.runner.start();
    if (this.o.nodeAddresses !== undefined) {
      this.pollTimer = this.clock.setInterval(() => void this.readNodeAddresses().then(() => this.kick()), this.o.nodeAddressPollMs ?? 5000);
    }
  }

  stop(): Promise<void> {
    this.clock.clearTimer(this.pollTimer);
    this.pollTimer = undefined;
    return this.runner.stop();
  }
}

/** Reads the kernel's address list into the node state; a failure keeps the last known IPs. */
export async function readNodeAddresses(o: Pick<SyncLoopOptions, 'proxier' | 'logger' | 'nodeAddresses'>): Promise<void> {
  if (o.nodeAddresses === undefined) return;
  try {
    o.proxier.onNodeAddresses(await o.nodeAddresses());
  } catch (err) {
    o.logger.warn({ err }, 'cannot read the node\'s addresses; keeping the last known ones');
  }
}
