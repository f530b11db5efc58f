/**
 * Cluster mode: Services, EndpointSlices and this node's Node object come from the API server.
 *
 * - No sync runs until the initial lists of all three have arrived: an empty cache must never wipe
 *   a live node.
 * - When the API server is unreachable the informers retry with backoff and nothing is synced from
 *   them; the periodic full sync keeps repairing the kernel from the last known state, so the data
 *   plane stays exactly as it was.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realClock, type Clock, type TimerHandle } from '../clock.ts';
import { ApiSource } from '../sources/api/api-source.ts';
import { nodeEligible, type NodeInfo } from '../sources/api/node.ts';
import { SyncLoop, type SyncLoopOptions } from './sync-loop.ts';

export interface ApiDaemonOptions extends SyncLoopOptions {
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  readonly logger: Logger;
  /** Batches of watch events are coalesced for this long before asking for a sync. */
  readonly kickDelayMs?: number;
  /** [0, 1), for the informers' backoff jitter and watch timeouts (default Math.random). */
  readonly random?: () => number;
}

export class ApiDaemon {
  private readonly o: ApiDaemonOptions;
  private readonly loop: SyncLoop;
  private readonly source: ApiSource;
  private readonly clock: Clock;
  private kickTimer: TimerHandle | undefined;
  private started = false;
  private nodeSeen = false;

  constructor(options: ApiDaemonOptions) {
    this.o = options;
    this.clock = options.clock ?? realClock;
    this.loop = new SyncLoop(options);
    this.source = new ApiSource({
      kubeConfig: options.kubeConfig,
      nodeName: options.nodeName,
      logger: options.logger.child({ component: 'api-source' }),
      limits: options.limits,
      clock: this.clock,
      random: options.random,
      handlers: {
        onService: (previous, current) => { this.loop.serviceChanged(previous, current); this.scheduleKick(); },
        onEndpointSlice: (previous, current) => { this.loop.endpointSliceChanged(previous, current); this.scheduleKick(); },
        onNode: (node) => this.nodeChanged(node),
      },
    });
  }

  /** Starts watching; resolves once the caches are filled and the sync loop runs (false if stopped first). */
  async start(): Promise<boolean> {
    this.source.start();
    this.o.logger.info({ node: this.o.nodeName }, 'waiting for the initial lists of Services, EndpointSlices and the Node');
    if (!(await this.source.whenSynced())) return false;
    this.started = true;
    this.loop.start();
    this.o.logger.info('caches filled; syncing');
    return true;
  }

  /**
   * --once: fill the caches from the initial lists, then stop watching (closing the watches, so
   * nothing keeps the process alive after its one sync). False if the lists never arrived.
   */
  async loadOnce(): Promise<boolean> {
    this.source.start();
    const synced = await this.source.whenSynced();
    await this.source.stop();
    return synced;
  }

  async stop(): Promise<void> {
    this.started = false; // events still arriving while the watches close must not re-arm the kick
    this.clock.clearTimer(this.kickTimer);
    this.kickTimer = undefined;
    await this.source.stop();
    await this.loop.stop();
  }

  private nodeChanged(node: NodeInfo | undefined): void {
    this.o.proxier.onNodeUpdate(node === undefined ? undefined : { labels: node.labels, zone: node.zone, eligible: nodeEligible(node), primaryIPs: node.ips });
    // A Node that existed and is gone is being deleted: /healthz fails, as upstream's. One that
    // was never seen (yet) does not make the proxy unhealthy.
    this.o.observer?.setNodeEligible(node === undefined ? !this.nodeSeen : nodeEligible(node));
    this.nodeSeen ||= node !== undefined;
    if (this.started) this.loop.kick();
  }

  /** Watch events arrive one by one; a short delay lets a burst become one sync request. */
  private scheduleKick(): void {
    if (!this.started || this.kickTimer !== undefined) return;
    this.kickTimer = this.clock.setTimeout(() => {
      this.kickTimer = undefined;
      this.loop.kick();
    }, this.o.kickDelayMs ?? 10);
  }
}
