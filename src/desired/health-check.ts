/**
 * Which Services get a healthCheckNodePort server on this node, and what it reports. Pure, like
 * the rest of desired/: the engine keeps the result per service (engine/health-checks.ts) and
 * observability answers HTTP with it (observability/service-health.ts).
 */
import type { Endpoint, Service } from '../model/types.ts';
import type { IpFamily } from '../validate/validate.ts';

/** One healthCheckNodePort to answer, as upstream's SyncServices + SyncEndpoints give it. */
export interface HealthCheckTarget {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** This node's ready endpoints (distinct addresses), what the server reports as `localEndpoints`. */
  readonly localEndpoints: number;
}

/**
 * Upstream's apiservice.NeedsHealthCheck: only a LoadBalancer with externalTrafficPolicy Local
 * gets a health check (the API server allocates healthCheckNodePort only then; a manifest may
 * carry one anyway, and upstream ignores it there too).
 */
export function needsHealthCheck(service: Service): boolean {
  return service.type === 'LoadBalancer' && service.externalTrafficPolicy === 'Local' && service.healthCheckNodePort > 0;
}

/**
 * Upstream's EndpointsMap.LocalReadyEndpoints: ready endpoints on this node, counted by address
 * so a pod serving two ports counts once. Terminating ones are left out on purpose: a node whose
 * only endpoints are draining must fail the check so the load balancer moves away.
 *
 * Dual-stack: upstream has one proxier per family writing the same counts, so the last family to
 * sync wins. Here each family is counted alone and the larger count is reported, so a dual-stack
 * pod counts once and the answer never flips with sync order.
 */
export function localReadyEndpoints(byPort: ReadonlyMap<string, readonly Endpoint[]>, families: readonly IpFamily[], nodeName: string): number {
  let most = 0;
  for (const family of families) {
    const addresses = new Set<string>();
    for (const endpoints of byPort.values()) {
      for (const e of endpoints) if (e.family === family && e.ready && e.nodeName === nodeName) addresses.add(e.address);
    }
    most = Math.max(most, addresses.size);
  }
  return most;
}

export function healthCheckTarget(
  service: Service | undefined, byPort: ReadonlyMap<string, readonly Endpoint[]>, families: readonly IpFamily[], nodeName: string,
): HealthCheckTarget | undefined {
  if (service === undefined || !needsHealthCheck(service)) return undefined;
  const { namespace, name, healthCheckNodePort: port } = service;
  return { namespace, name, port, localEndpoints: localReadyEndpoints(byPort, families, nodeName) };
}
