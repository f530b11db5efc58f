/**
 * Cluster mode: Services, EndpointSlices and this node's Node, watched through the Kubernetes API
 * with the same selectors kube-proxy uses. Objects are parsed once into the model and handed to
 * the callbacks as {previous, current}, like the manifests source.
 *
 * The daemon must not sync before `whenSynced()`: until all three initial lists have arrived the
 * caches are partial, and syncing an empty cache would wipe a live node's services.
 */
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ValidationError } from '../../errors.ts';
import { parseEndpointSlice } from '../../model/endpoint-slice.ts';
import type { ModelLimits } from '../../model/parse-result.ts';
import { parseService } from '../../model/service.ts';
import type { EndpointSliceInfo, Service } from '../../model/types.ts';
import { realClock, type Clock } from '../../clock.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { SupervisedInformer, type InformerHandlers, type InformerStatus } from './informer.ts';
import { parseNode, type NodeInfo } from './node.ts';
import { ParsedObjects } from './parsed-objects.ts';
import { rawLister, type RawLister, type RawObject } from './raw-list.ts';
import { nodeFieldSelector, PROXY_LABEL_SELECTOR } from './selectors.ts';

export interface ApiSourceHandlers {
  onService(previous: Service | undefined, current: Service | undefined): void;
  onEndpointSlice(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void;
  /** The node's current state; undefined when its Node object is deleted. */
  onNode(node: NodeInfo | undefined): void;
}

export interface ApiSourceOptions {
  readonly kubeConfig: KubeConfig;
  readonly nodeName: string;
  readonly logger: Logger;
  readonly handlers: ApiSourceHandlers;
  /** What the parsers enforce from configuration (the node-port range); default DEFAULT_MODEL_LIMITS. */
  readonly limits?: ModelLimits | undefined;
  readonly clock?: Clock;
  /** [0, 1), for backoff jitter and watch timeouts. */
  readonly random?: () => number;
  readonly backoff?: BackoffOptions;
  /** A list that takes longer fails and is retried (default 60 s). */
  readonly listTimeoutMs?: number;
  /** A watch silent for longer is re-opened (default 2 min: the server bookmarks every minute). */
  readonly watchInactivityMs?: number;
  /** Server-side watch timeout range, as client-go's reflector: [min, 2·min) (default min 300 s). */
  readonly minWatchTimeoutSeconds?: number;
}

export type InformerName = 'services' | 'endpointSlices' | 'node';

export class ApiSource {
  private readonly o: ApiSourceOptions;
  private readonly informers: Record<InformerName, SupervisedInformer>;
  private readonly pendingSync = new Set<InformerName>(['services', 'endpointSlices', 'node']);
  private readonly syncWaiters: ((synced: boolean) => void)[] = [];
  private readonly nodes: ParsedObjects<NodeInfo>;

  constructor(options: ApiSourceOptions) {
    this.o = options;
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = options.kubeConfig.makeApiClient(DiscoveryV1Api);
    const timeout = options.listTimeoutMs ?? 60_000;
    const clock = options.clock ?? realClock;
    const labelSelector = PROXY_LABEL_SELECTOR;
    const fieldSelector = nodeFieldSelector(options.nodeName);
    const report = (error: ValidationError): void => options.logger.error({ object: error.object, code: error.code, err: error }, `skipped: ${error.message}`);
    const services = new ParsedObjects((o) => parseService(o, undefined, options.limits), (a, b) => options.handlers.onService(a, b), report);
    const slices = new ParsedObjects((o) => parseEndpointSlice(o), (a, b) => options.handlers.onEndpointSlice(a, b), report);
    this.nodes = new ParsedObjects((o) => parseNode(o), (_, b) => options.handlers.onNode(b), report);
    this.informers = {
      services: this.informer('services', '/api/v1/services', { labelSelector },
        rawLister('services', (opts) => core.listServiceForAllNamespaces({ labelSelector }, opts), timeout, clock), services),
      endpointSlices: this.informer('endpointSlices', '/apis/discovery.k8s.io/v1/endpointslices', { labelSelector },
        rawLister('endpointslices', (opts) => discovery.listEndpointSliceForAllNamespaces({ labelSelector }, opts), timeout, clock), slices),
      node: this.informer('node', '/api/v1/nodes', { fieldSelector },
        rawLister('nodes', (opts) => core.listNode({ fieldSelector }, opts), timeout, clock), this.nodes),
    };
  }

  start(): void {
    for (const informer of Object.values(this.informers)) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.stop()));
    for (const resolve of this.syncWaiters.splice(0)) resolve(false);
  }

  /** All three initial lists (Services, EndpointSlices, the Node) have been delivered. */
  synced(): boolean {
    return this.pendingSync.size === 0;
  }

  /** Resolves true once synced, or false if the source is stopped first. */
  whenSynced(): Promise<boolean> {
    if (this.synced()) return Promise.resolve(true);
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  status(): Readonly<Record<InformerName, InformerStatus>> {
    return {
      services: this.informers.services.status,
      endpointSlices: this.informers.endpointSlices.status,
      node: this.informers.node.status,
    };
  }

  private informer(
    name: InformerName,
    path: string,
    selectors: { labelSelector?: string; fieldSelector?: string },
    list: RawLister,
    objects: Pick<ParsedObjects<unknown>, 'upsert' | 'remove'>,
  ): SupervisedInformer {
    const clock = this.o.clock ?? realClock;
    const random = this.o.random ?? Math.random;
    const minTimeout = this.o.minWatchTimeoutSeconds ?? 300;
    const handlers: InformerHandlers = {
      upsert: (o: RawObject) => objects.upsert(o),
      remove: (o: RawObject) => objects.remove(o),
      synced: () => this.informerSynced(name),
      failed: (err, restartInMs) => this.o.logger.warn({ err, informer: name, restartInMs }, `${name} watch failed; restarting`),
    };
    return new SupervisedInformer({
      kubeConfig: this.o.kubeConfig,
      path,
      list,
      ...selectors,
      clock,
      random,
      backoff: this.o.backoff ?? DEFAULT_BACKOFF,
      watchTimeoutSeconds: () => Math.floor(minTimeout * (1 + random())),
      watchInactivityMs: this.o.watchInactivityMs ?? 120_000,
      handlers,
    });
  }

  private informerSynced(name: InformerName): void {
    this.pendingSync.delete(name);
    if (name === 'node' && this.nodes.size === 0) {
      this.o.logger.warn({ node: this.o.nodeName }, 'Node object not found; node IPs and zone unknown until it appears');
    }
    if (!this.synced()) return;
    this.o.logger.info('API caches synced');
    for (const resolve of this.syncWaiters.splice(0)) resolve(true);
  }
}
