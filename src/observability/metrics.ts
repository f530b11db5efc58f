/**
 * kube-proxy's metrics (pkg/proxy/metrics, IPVS mode, current upstream labels), on a private
 * prom-client Registry, plus ipvs-proxier's own per-virtual-server IPVS counters and the default
 * process metrics. Values the engine already holds (pending changes, services without local
 * endpoints, kernel IPVS counters) are read at scrape time instead of being pushed on every event.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IpFamily } from '../validate/validate.ts';
import { NETWORK_PROGRAMMING_BUCKETS, SYNC_DURATION_BUCKETS } from './buckets.ts';
import type { ProbeKind } from './health-server.ts';
import type { NoLocalEndpointCounts } from './no-local-endpoints.ts';
import { familyName } from './proxy-health.ts';
import type { VirtualServerStats } from './ipvs-stats.ts';
import { registerVirtualServerMetrics } from './ipvs-metrics.ts';

export interface PendingChanges {
  readonly services: number;
  readonly endpoints: number;
}

export interface ProxierMetricsOptions {
  readonly families: readonly IpFamily[];
  readonly pending?: () => PendingChanges;
  readonly noLocalEndpoints?: (family: IpFamily) => NoLocalEndpointCounts;
  readonly virtualServers?: VirtualServerStats;
  /** process_* and nodejs_* metrics (default true; tests switch them off for speed). */
  readonly processMetrics?: boolean;
}

const FAMILY = ['ip_family'] as const;

export class ProxierMetrics {
  readonly registry = new Registry();
  private readonly syncDuration: Histogram<'ip_family'>;
  private readonly syncFullDuration: Histogram<'ip_family'>;
  private readonly syncPartialDuration: Histogram<'ip_family'>;
  private readonly lastSync: Gauge<'ip_family'>;
  private readonly lastQueued: Gauge<'ip_family'>;
  private readonly networkProgramming: Histogram<'ip_family'>;
  private readonly endpointChanges: Counter;
  private readonly serviceChanges: Counter;
  private readonly restoreFailures: Counter<'ip_family'>;
  private readonly probes: Record<ProbeKind, Counter<'code'>>;

  constructor(options: ProxierMetricsOptions) {
    const registers = [this.registry];
    const histogram = (name: string, help: string, buckets: number[]): Histogram<'ip_family'> =>
      new Histogram({ name: `kubeproxy_${name}`, help, buckets, labelNames: FAMILY, registers });
    this.syncDuration = histogram('sync_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds', SYNC_DURATION_BUCKETS);
    this.syncFullDuration = histogram('sync_full_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for full resyncs', SYNC_DURATION_BUCKETS);
    this.syncPartialDuration = histogram('sync_partial_proxy_rules_duration_seconds', 'SyncProxyRules latency in seconds for partial resyncs', SYNC_DURATION_BUCKETS);
    this.networkProgramming = histogram('network_programming_duration_seconds', 'In Cluster Network Programming Latency in seconds', NETWORK_PROGRAMMING_BUCKETS);
    this.lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'The last time proxy rules were successfully synced', labelNames: FAMILY, registers });
    this.lastQueued = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', help: 'The last time a sync of proxy rules was queued', labelNames: FAMILY, registers });
    this.endpointChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_endpoint_changes_total', help: 'Cumulative proxy rules Endpoint changes', registers });
    this.serviceChanges = new Counter({ name: 'kubeproxy_sync_proxy_rules_service_changes_total', help: 'Cumulative proxy rules Service changes', registers });
    this.restoreFailures = new Counter({ name: 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', help: 'Cumulative proxy iptables restore failures', labelNames: FAMILY, registers });
    this.probes = {
      healthz: new Counter({ name: 'kubeproxy_proxy_healthz_total', help: 'Cumulative proxy healthz HTTP status', labelNames: ['code'], registers }),
      livez: new Counter({ name: 'kubeproxy_proxy_livez_total', help: 'Cumulative proxy livez HTTP status', labelNames: ['code'], registers }),
    };
    this.registerPending(options.pending);
    this.registerNoLocalEndpoints(options.families, options.noLocalEndpoints);
    if (options.virtualServers !== undefined) registerVirtualServerMetrics(this.registry, options.virtualServers);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Every sync, failed or not (upstream observes in a defer). */
  syncObserved(family: IpFamily, seconds: number, full: boolean): void {
    const labels = { ip_family: familyName(family) };
    this.syncDuration.observe(labels, seconds);
    (full ? this.syncFullDuration : this.syncPartialDuration).observe(labels, seconds);
  }

  syncSucceeded(family: IpFamily, nowMs: number): void {
    this.lastSync.set({ ip_family: familyName(family) }, nowMs / 1000);
  }

  syncQueued(family: IpFamily, nowMs: number): void {
    this.lastQueued.set({ ip_family: familyName(family) }, nowMs / 1000);
  }

  networkProgrammed(family: IpFamily, seconds: number): void {
    this.networkProgramming.observe({ ip_family: familyName(family) }, seconds);
  }

  serviceChanged(): void {
    this.serviceChanges.inc();
  }

  endpointsChanged(): void {
    this.endpointChanges.inc();
  }

  restoreFailed(family: IpFamily): void {
    this.restoreFailures.inc({ ip_family: familyName(family) });
  }

  probeServed(kind: ProbeKind, code: number): void {
    this.probes[kind].inc({ code: String(code) });
  }

  /** The exposition text and its content type, for the /metrics handler. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerPending(pending: (() => PendingChanges) | undefined): void {
    const gauge = (name: string, help: string, pick: (p: PendingChanges) => number): void => {
      new Gauge({
        name, help, registers: [this.registry],
        collect() { if (pending !== undefined) this.set(pick(pending())); },
      });
    };
    gauge('kubeproxy_sync_proxy_rules_endpoint_changes_pending', 'Pending proxy rules Endpoint changes', (p) => p.endpoints);
    gauge('kubeproxy_sync_proxy_rules_service_changes_pending', 'Pending proxy rules Service changes', (p) => p.services);
  }

  private registerNoLocalEndpoints(families: readonly IpFamily[], count: ((family: IpFamily) => NoLocalEndpointCounts) | undefined): void {
    new Gauge({
      name: 'kubeproxy_sync_proxy_rules_no_local_endpoints_total',
      help: 'Number of services with a Local traffic policy and no endpoints',
      labelNames: ['traffic_policy', 'ip_family'], registers: [this.registry],
      collect() {
        if (count === undefined) return;
        for (const family of families) {
          const counts = count(family);
          this.set({ traffic_policy: 'internal', ip_family: familyName(family) }, counts.internal);
          this.set({ traffic_policy: 'external', ip_family: familyName(family) }, counts.external);
        }
      },
    });
  }
}
