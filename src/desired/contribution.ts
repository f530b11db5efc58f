/**
 * What one Service adds to the desired kernel state, for one IP family. Pure: the same inputs
 * always give the same output, and nothing here does I/O. The engine keeps one contribution per
 * service, so a change to one service recomputes only that service.
 *
 * Every service port gets a virtual server on each ClusterIP (internalTrafficPolicy), and, for
 * traffic from outside the cluster (external.ts, externalTrafficPolicy): one on each NodePort IP
 * at its nodePort, and one on each admitted externalIP and LoadBalancer ingress IP.
 */
import { ServiceFlag, type RealServer, type VirtualServer, type VirtualServerKey } from '../kernel/ipvs/types.ts';
import type { Endpoint, Service, ServicePort } from '../model/types.ts';
import type { FamilyConfig } from './config.ts';
import { externalAddresses, externalVirtualServers, type ExternalIPRefusal } from './external.ts';
import { needsHealthCheck } from './health-check.ts';
import { familyOf, ipPortMember } from './members.ts';
import { SetName, familySetName } from './names.ts';
import { selectEndpoints, uniqueEndpoints } from './select-endpoints.ts';
import { compareRealServers } from './ids.ts';

export type { ExternalIPRefusal } from './external.ts';

export interface DesiredVirtualServer {
  readonly service: VirtualServer;
  readonly destinations: readonly RealServer[];
  /**
   * Members that exist because this virtual server is served: its KUBE-CLUSTER-IP (or NodePort,
   * externalIP, load-balancer) entries and its local endpoints' KUBE-LOOP-BACK entries. When two
   * services claim one virtual server only the winner's are desired (desired/index.ts): the
   * loser's endpoints are no destination of it.
   */
  readonly setMembers: readonly SetMember[];
}

export interface SetMember {
  readonly set: string;
  /** In `ipset save` form: `10.96.0.1,tcp:80`, `10.244.0.5,tcp:8080,10.244.0.5`, `30080`. */
  readonly member: string;
}

export interface ServiceContribution {
  /** Addresses to bind on kube-ipvs0. */
  readonly addresses: readonly string[];
  readonly virtualServers: readonly DesiredVirtualServer[];
  /** Members of the service as a whole (its KUBE-IPVS-IPS addresses); per-port ones are on its virtual servers. */
  readonly setMembers: readonly SetMember[];
  /** This family's externalIPs that --disable-external-ips or --external-ip-cidrs refuse (the engine logs them). */
  readonly refusedExternalIPs: readonly ExternalIPRefusal[];
}

export const EMPTY_CONTRIBUTION: ServiceContribution = { addresses: [], virtualServers: [], setMembers: [], refusedExternalIPs: [] };

/** Endpoints of one service, keyed `portName/PROTOCOL`, already merged across its slices. */
export type ServiceEndpoints = ReadonlyMap<string, readonly Endpoint[]>;

export function contributeService(service: Service, endpoints: ServiceEndpoints, config: FamilyConfig): ServiceContribution {
  const clusterIPs = service.clusterIPs.filter((ip) => familyOf(ip) === config.family);
  if (clusterIPs.length === 0) return EMPTY_CONTRIBUTION;
  const external = externalAddresses(service, config);
  // An externalIP or ingress IP the node already has on another interface is served there, unbound.
  const addresses = unique([...clusterIPs, ...external.externalIPs, ...external.loadBalancerIPs].filter((ip) => clusterIPs.includes(ip) || !config.nodeIPs.includes(ip)));
  const virtualServers: DesiredVirtualServer[] = [];
  // KUBE-IPVS-IPS mirrors kube-ipvs0 so KUBE-IPVS-FILTER can reject non-service ports (issue 72236).
  const setMembers: SetMember[] = addresses.map((member) => ({ set: familySetName(SetName.IPVS_IPS, config.family), member }));
  // Filter KUBE-NODE-PORT accepts the health-check port and KUBE-IPVS-FILTER lets it through
  // (iptables-rules.ts); upstream adds it per service in every family, whatever the node port IPs.
  if (needsHealthCheck(service)) setMembers.push({ set: familySetName(SetName.HEALTH_CHECK_NODE_PORT, config.family), member: String(service.healthCheckNodePort) });
  for (const port of service.ports) {
    const portEndpoints = uniqueEndpoints((endpoints.get(`${port.name}/${port.protocol}`) ?? []).filter((e) => e.family === config.family));
    const destinations = toRealServers(selectEndpoints(portEndpoints, service.internalTrafficPolicy, config), config);
    const loopBack = loopBackMembers(portEndpoints, port, config);
    for (const address of clusterIPs) {
      const clusterIP = { set: familySetName(SetName.CLUSTER_IP, config.family), member: ipPortMember(address, port.protocol, port.port) };
      virtualServers.push({ service: virtualServer(service, port.protocol, address, port.port, config), destinations, setMembers: [clusterIP, ...loopBack] });
    }
    const externalDestinations = (): RealServer[] => toRealServers(selectEndpoints(portEndpoints, service.externalTrafficPolicy, config), config);
    virtualServers.push(...externalVirtualServers({ service, port, config, addresses: external, loopBack, destinations: externalDestinations, virtualServer }));
  }
  return { addresses, virtualServers, setMembers, refusedExternalIPs: external.refused };
}

export function virtualServer(service: Service, protocol: ServicePort['protocol'], address: string, port: number, config: FamilyConfig): VirtualServer {
  const key: VirtualServerKey = { kind: 'address', family: config.family, protocol, address, port };
  let flags = 0;
  let timeout = 0;
  if (service.sessionAffinity.kind === 'ClientIP') {
    flags |= ServiceFlag.PERSISTENT;
    timeout = service.sessionAffinity.timeoutSeconds;
  }
  // Upstream always sets mh-port for mh, so the port takes part in the hash.
  if (config.scheduler === 'mh') flags |= ServiceFlag.SCHED2;
  return { key, scheduler: config.scheduler, flags, timeout, netmask: config.family === 4 ? 0xffffffff : 128 };
}

function toRealServers(endpoints: readonly Endpoint[], config: FamilyConfig): RealServer[] {
  return endpoints
    .map((e): RealServer => ({
      family: config.family, address: e.address, port: e.port, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0,
    }))
    .sort(compareRealServers);
}

/** Hairpin: a local endpoint reaching itself through the service must be masqueraded (KUBE-LOOP-BACK). */
function loopBackMembers(endpoints: readonly Endpoint[], port: ServicePort, config: FamilyConfig): SetMember[] {
  const set = familySetName(SetName.LOOP_BACK, config.family);
  return endpoints
    .filter((e) => e.nodeName === config.nodeName)
    .map((e) => ({ set, member: `${e.address},${port.protocol.toLowerCase()}:${e.port},${e.address}` }));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
