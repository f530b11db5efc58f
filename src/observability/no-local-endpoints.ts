/**
 * kubeproxy_sync_proxy_rules_no_local_endpoints_total: services with a Local traffic policy that
 * have endpoints somewhere in the cluster but none usable on this node (upstream IPVS syncEndpoint:
 * `hasAnyEndpoints && no local endpoints`, counted per service name, per IP family). Computed
 * from the engine's committed cache at scrape time, so it reflects what the last sync programmed.
 */
import type { Endpoint, Service, ServiceName } from '../model/types.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface NoLocalEndpointCounts {
  readonly internal: number;
  readonly external: number;
}

/** The part of the engine's ServiceCache this reads. */
export interface ServiceView {
  serviceNames(): Iterable<ServiceName>;
  service(name: ServiceName): Service | undefined;
  endpoints(name: ServiceName): ReadonlyMap<string, readonly Endpoint[]>;
}

export function countNoLocalEndpoints(view: ServiceView, family: IpFamily, nodeName: string): NoLocalEndpointCounts {
  let internal = 0;
  let external = 0;
  for (const name of view.serviceNames()) {
    const service = view.service(name);
    if (service === undefined || !service.clusterIPs.some((ip) => ipFamily(ip) === family)) continue;
    const internalLocal = service.internalTrafficPolicy === 'Local';
    const externalLocal = externalPolicyLocal(service);
    if (!internalLocal && !externalLocal) continue;
    if (!lacksLocalEndpoints(service, view.endpoints(name), family, nodeName)) continue;
    if (internalLocal) internal++;
    if (externalLocal) external++;
  }
  return { internal, external };
}

/** Some port has usable endpoints in the cluster and none on this node. */
function lacksLocalEndpoints(service: Service, byPort: ReadonlyMap<string, readonly Endpoint[]>, family: IpFamily, nodeName: string): boolean {
  return service.ports.some((port) => {
    const usable = (byPort.get(`${port.name}/${port.protocol}`) ?? []).filter((e) => e.family === family && (e.ready || (e.serving && e.terminating)));
    return usable.length > 0 && !usable.some((e) => e.nodeName === nodeName);
  });
}

/** apiservice.ExternalPolicyLocal: externally reachable and externalTrafficPolicy Local. */
function externalPolicyLocal(service: Service): boolean {
  const reachable = service.type === 'NodePort' || service.type === 'LoadBalancer' || service.externalIPs.length > 0;
  return reachable && service.externalTrafficPolicy === 'Local';
}

function ipFamily(ip: string): IpFamily {
  return ip.includes(':') ? 6 : 4;
}
