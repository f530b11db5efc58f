/**
 * Everything observability needs, started in one call so the daemon's wiring stays a few lines:
 *
 *   const obs = await startObservability({ proxier, families, syncPeriodMs, dumpVirtualServers: () => kernel.ipvs.dump() });
 *   proxier.onServiceUpdate(a, b);        obs.observer.serviceChanged();
 *   proxier.onEndpointSliceUpdate(a, b);  obs.observer.endpointSliceChanged(a, b);
 *   runner start:                         obs.observer.syncLoopStarted();
 *   after each sync:                      obs.observer.syncCompleted(report);
 *   node watch:                           obs.observer.setNodeEligible(nodeEligible(node));
 *   shutdown:                             await obs.close();
 */
import { realClock, type Clock } from '../clock.ts';
import type { FamilyConfig } from '../desired/config.ts';
import type { VirtualServerDump } from '../kernel/ipvs/types.ts';
import { DEFAULT_HEALTHZ_BIND_ADDRESS, DEFAULT_METRICS_BIND_ADDRESS } from './bind-address.ts';
import { startHealthServer } from './health-server.ts';
import type { HttpEndpoint } from './http-server.ts';
import { VirtualServerStats } from './ipvs-stats.ts';
import { ProxierMetrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { countNoLocalEndpoints, type ServiceView } from './no-local-endpoints.ts';
import { ProxierObserver } from './observer.ts';
import { healthTimeoutMs, ProxyHealth } from './proxy-health.ts';

/** The part of the Proxier read here: its committed cache and its change trackers. */
export interface ObservedProxier {
  readonly cache: ServiceView & {
    readonly serviceChanges: { readonly size: number };
    readonly sliceChanges: { readonly size: number };
  };
}

export interface ObservabilityOptions {
  readonly proxier: ObservedProxier;
  readonly families: readonly FamilyConfig[];
  readonly syncPeriodMs: number;
  /** '' disables the server (kube-proxy's convention); undefined: the default address. */
  readonly healthzBindAddress?: string;
  readonly metricsBindAddress?: string;
  readonly dumpVirtualServers?: () => Promise<readonly VirtualServerDump[]>;
  readonly ipvsDumpTimeoutMs?: number;
  readonly processMetrics?: boolean;
  readonly clock?: Clock;
  readonly onError?: (error: unknown) => void;
}

export interface Observability {
  readonly observer: ProxierObserver;
  readonly health: ProxyHealth;
  readonly metrics: ProxierMetrics;
  readonly healthz: HttpEndpoint | undefined;
  readonly metricsEndpoint: HttpEndpoint | undefined;
  close(): Promise<void>;
}

export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const { proxier, families } = options;
  const clock = options.clock ?? realClock;
  const health = new ProxyHealth({ healthTimeoutMs: healthTimeoutMs(options.syncPeriodMs), clock });
  const pending = () => ({ services: proxier.cache.serviceChanges.size, endpoints: proxier.cache.sliceChanges.size });
  const metrics = new ProxierMetrics({
    families: families.map((f) => f.family),
    pending,
    noLocalEndpoints: (family) => countNoLocalEndpoints(proxier.cache, family, families.find((f) => f.family === family)?.nodeName ?? ''),
    virtualServers: options.dumpVirtualServers === undefined ? undefined
      : new VirtualServerStats({ dump: options.dumpVirtualServers, timeoutMs: options.ipvsDumpTimeoutMs ?? 2000, clock }),
    processMetrics: options.processMetrics,
  });
  const observer = new ProxierObserver({ families: families.map((f) => f.family), health, metrics, pending, clock });
  const endpoints: HttpEndpoint[] = [];
  const start = async (address: string | undefined, fallback: string, run: (bind: string) => Promise<HttpEndpoint>) => {
    const bind = address ?? fallback;
    if (bind === '') return undefined;
    const endpoint = await run(bind);
    endpoints.push(endpoint);
    return endpoint;
  };
  try {
    const healthz = await start(options.healthzBindAddress, DEFAULT_HEALTHZ_BIND_ADDRESS, (bindAddress) =>
      startHealthServer({ bindAddress, health, onProbe: (kind, code) => metrics.probeServed(kind, code), onError: options.onError }));
    const metricsEndpoint = await start(options.metricsBindAddress, DEFAULT_METRICS_BIND_ADDRESS, (bindAddress) =>
      startMetricsServer({ bindAddress, metrics, onError: options.onError }));
    const close = async () => { await Promise.all(endpoints.map((e) => e.close())); };
    return { observer, health, metrics, healthz, metricsEndpoint, close };
  } catch (error) {
    // One server up and the other failing must not leave the first one listening.
    await Promise.all(endpoints.map((e) => e.close()));
    throw error;
  }
}
