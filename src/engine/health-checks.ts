/**
 * The healthCheckNodePort services as of the last sync, kept per service and updated only for the
 * services a sync recomputes, so a sync touching one endpoint does not rescan 10,000 services.
 * Upstream recomputes both maps on every sync (SyncServices(svcPortMap.HealthCheckNodePorts()),
 * SyncEndpoints(endpointsMap.LocalReadyEndpoints())); the result is the same.
 */
import { healthCheckTarget, needsHealthCheck, type HealthCheckTarget } from '../desired/health-check.ts';
import type { ServiceName } from '../model/types.ts';
import type { ServiceCache } from '../tracking/service-cache.ts';
import type { IpFamily } from '../validate/validate.ts';

export class HealthChecks {
  private readonly targets = new Map<ServiceName, HealthCheckTarget>();
  private readonly families: readonly IpFamily[];
  private readonly nodeName: string;

  constructor(families: readonly IpFamily[], nodeName: string) {
    this.families = families;
    this.nodeName = nodeName;
  }

  update(cache: ServiceCache, names: Iterable<ServiceName>): void {
    for (const name of names) {
      const service = cache.service(name);
      // Merging a service's slices costs; most services need no health check.
      const target = service !== undefined && needsHealthCheck(service)
        ? healthCheckTarget(service, cache.endpoints(name), this.families, this.nodeName) : undefined;
      if (target === undefined) this.targets.delete(name);
      else this.targets.set(name, target);
    }
  }

  get current(): ReadonlyMap<ServiceName, HealthCheckTarget> {
    return this.targets;
  }
}
