/**
 * Everything observability needs, started in one call so the daemon's wiring stays a few lines:
 *
 *   const obs = await startObservability({ proxier, families, syncPeriodMs, dumpVirtualServers: () => kernel.ipvs.dump() });
 *   proxier.onServiceUpdate(a, b);        obs.observer.serviceChanged();
 *   proxier.onEndpointSliceUpdate(a, b);  obs.observer.endpointSliceChanged(a, b);
 *   runner start:                         obs.observer.syncLoopStarted();
 *   after each sync:                      obs.observer.syncCompleted(report);
 *   node watch:                           obs.observer.setNodeEligible(nodeEligible(node));
 *   after each sync, awaited:             await obs.serviceHealth.sync();   (healthCheckNodePort servers)
 *   shutdown:                             await obs.close();
 */
import { realClock, type Clock } from '../clock.ts';
import type { FamilyConfig } from '../desired/config.ts';
import type { HealthCheckTarget } from '../desired/health-check.ts';
import type { ProxierError } from '../errors.ts';
import type { VirtualServerDump } from '../kernel/ipvs/types.ts';
import type { ServiceName } from '../model/types.ts';
import { DEFAULT_HEALTHZ_BIND_ADDRESS, DEFAULT_METRICS_BIND_ADDRESS, type BindAddress } from './bind-address.ts';
import { startHealthServer } from './health-server.ts';
import type { HttpEndpoint } from './http-server.ts';
import { VirtualServerStats } from './ipvs-stats.ts';
import { ProxierMetrics } from './metrics.ts';
import { startMetricsServer } from './metrics-server.ts';
import { countNoLocalEndpoints, type ServiceView } from './no-local-endpoints.ts';
import { ProxierObserver } from './observer.ts';
import { healthTimeoutMs, ProxyHealth } from './proxy-health.ts';
import { healthCheckHosts, ServiceHealthServers } from './service-health.ts';

/** The part of the Proxier read here: its committed cache, its change trackers and the health-check services. */
export interface ObservedProxier {
  readonly cache: ServiceView & {
    readonly serviceChanges: { readonly size: number };
    readonly sliceChanges: { readonly size: number };
  };
  readonly healthChecks: ReadonlyMap<ServiceName, HealthCheckTarget>;
  readonly familyConfigs: readonly FamilyConfig[];
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
  /** Where healthCheckNodePort servers listen (default: healthCheckHosts of the proxier's families). */
  readonly serviceHealthHosts?: () => readonly string[];
  readonly onServiceHealthListenError?: (error: ProxierError) => void;
  readonly onServiceHealthOpened?: (target: HealthCheckTarget, addresses: readonly BindAddress[]) => void;
}

export interface Observability {
  readonly observer: ProxierObserver;
  readonly health: ProxyHealth;
  readonly metrics: ProxierMetrics;
  readonly healthz: HttpEndpoint | undefined;
  readonly metricsEndpoint: HttpEndpoint | undefined;
  readonly serviceHealth: ServiceHealthServers;
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
  const serviceHealth = new ServiceHealthServers({
    targets: () => proxier.healthChecks,
    hosts: options.serviceHealthHosts ?? (() => healthCheckHosts(proxier.familyConfigs)),
    proxyHealthy: () => health.health().healthy,
    onListenError: options.onServiceHealthListenError,
    onOpened: options.onServiceHealthOpened,
    onError: options.onError,
  });
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
    const close = async () => { await Promise.all([...endpoints.map((e) => e.close()), serviceHealth.close()]); };
    return { observer, health, metrics, healthz, metricsEndpoint, serviceHealth, close };
  } catch (error) {
    // One server up and the other failing must not leave the first one listening.
    await Promise.all(endpoints.map((e) => e.close()));
    throw error;
  }
}
