/**
 * Traffic from outside the cluster: the virtual servers a service port gets on the node's NodePort
 * IPs, its externalIPs and its LoadBalancer ingress IPs, with upstream IPVS mode's set members.
 * They follow externalTrafficPolicy:
 *
 * - Cluster: every ready endpoint; the client is masqueraded (KUBE-NODE-PORT-*, KUBE-EXTERNAL-IP,
 *   KUBE-LOAD-BALANCER → KUBE-MARK-MASQ).
 * - Local: this node's endpoints only, not masqueraded, so the pod sees the client's address (the
 *   `-LOCAL` sets RETURN before the masquerade rule). With no local endpoint the virtual server has
 *   NO real server and the connection fails, as the API promises and iptables/nftables modes do;
 *   upstream IPVS falls back to every cluster endpoint there (PR 97081), sending the client's
 *   traffic to another node with its source kept, where the reply is lost or leaks.
 *
 * Pure, like contribution.ts.
 */
import type { RealServer, VirtualServer } from '../kernel/ipvs/types.ts';
import type { Service, ServicePort } from '../model/types.ts';
import { inAnyCidr } from '../validate/cidr.ts';
import type { Protocol } from '../validate/validate.ts';
import type { DesiredVirtualServer, SetMember } from './contribution.ts';
import type { FamilyConfig } from './config.ts';
import { familyOf, ipPortMember } from './members.ts';
import { SetName, familySetName, type BaseSetName } from './names.ts';

/** An externalIP the proxier's settings refuse (CVE-2020-8554). */
export interface ExternalIPRefusal {
  readonly address: string;
  readonly reason: 'disabled' | 'not-allowed';
}

/** This family's external addresses of one service. */
export interface ExternalAddresses {
  readonly externalIPs: readonly string[];
  readonly loadBalancerIPs: readonly string[];
  readonly refused: readonly ExternalIPRefusal[];
}

export function externalAddresses(service: Service, config: FamilyConfig): ExternalAddresses {
  const inFamily = (ip: string): boolean => familyOf(ip) === config.family;
  const externalIPs: string[] = [];
  const refused: ExternalIPRefusal[] = [];
  for (const address of new Set(service.externalIPs.filter(inFamily))) {
    const reason = externalIPRefusal(address, config);
    if (reason === undefined) externalIPs.push(address);
    else refused.push({ address, reason });
  }
  // `ipMode: Proxy`: the load balancer proxies to the node ports itself; binding the IP here would
  // short-circuit its traffic (KEP-1860). A stale ingress of a service no longer of type
  // LoadBalancer (the status outlives the type change until the controller clears it) is not served.
  const loadBalancerIPs = service.type !== 'LoadBalancer' ? [] : [...new Set(service.loadBalancerIngress
    .filter((i) => i.ipMode === 'VIP' && inFamily(i.ip)).map((i) => i.ip))];
  return { externalIPs, loadBalancerIPs, refused };
}

/** The allowlist does not apply to ingress IPs: the cloud or MetalLB assigns those, not the service's author. */
function externalIPRefusal(address: string, config: FamilyConfig): ExternalIPRefusal['reason'] | undefined {
  if (!config.externalIPs.enabled) return 'disabled';
  const { cidrs } = config.externalIPs;
  return cidrs.length === 0 || inAnyCidr(address, cidrs) ? undefined : 'not-allowed';
}

export interface ExternalPortInput {
  readonly service: Service;
  readonly port: ServicePort;
  readonly config: FamilyConfig;
  readonly addresses: ExternalAddresses;
  readonly loopBack: readonly SetMember[];
  /** The port's destinations under externalTrafficPolicy; computed only when the port has an external address. */
  readonly destinations: () => RealServer[];
  readonly virtualServer: (service: Service, protocol: Protocol, address: string, port: number, config: FamilyConfig) => VirtualServer;
}

export function externalVirtualServers(input: ExternalPortInput): DesiredVirtualServer[] {
  const { service, port, config, addresses } = input;
  const nodePortIPs = port.nodePort > 0 ? config.nodePortIPs : [];
  if (nodePortIPs.length + addresses.externalIPs.length + addresses.loadBalancerIPs.length === 0) return [];
  const destinations = input.destinations();
  const local = service.externalTrafficPolicy === 'Local';
  const make = (address: string, servicePort: number, members: SetMember[]): DesiredVirtualServer => ({
    service: input.virtualServer(service, port.protocol, address, servicePort, config),
    destinations,
    setMembers: [...members, ...input.loopBack],
  });
  return [
    ...nodePortIPs.map((ip) => make(ip, port.nodePort, nodePortMembers(ip, port, local, config))),
    ...addresses.externalIPs.map((ip) => make(ip, port.port, [member(local ? SetName.EXTERNAL_IP_LOCAL : SetName.EXTERNAL_IP, ipPortMember(ip, port.protocol, port.port), config)])),
    ...addresses.loadBalancerIPs.map((ip) => make(ip, port.port, loadBalancerMembers(ip, port, local, service, config))),
  ];
}

/**
 * TCP and UDP node ports are bitmap:port members (just the port: one for every node IP); SCTP ones
 * are `nodeIP,sctp:port` in a hash:ip,port set, as upstream has them.
 */
function nodePortMembers(ip: string, port: ServicePort, local: boolean, config: FamilyConfig): SetMember[] {
  const [cluster, localSet, text] = port.protocol === 'SCTP'
    ? [SetName.NODE_PORT_SCTP_HASH, SetName.NODE_PORT_LOCAL_SCTP_HASH, ipPortMember(ip, 'SCTP', port.nodePort)]
    : port.protocol === 'UDP'
      ? [SetName.NODE_PORT_UDP, SetName.NODE_PORT_LOCAL_UDP, String(port.nodePort)]
      : [SetName.NODE_PORT_TCP, SetName.NODE_PORT_LOCAL_TCP, String(port.nodePort)];
  return local ? [member(cluster, text, config), member(localSet, text, config)] : [member(cluster, text, config)];
}

function loadBalancerMembers(ip: string, port: ServicePort, local: boolean, service: Service, config: FamilyConfig): SetMember[] {
  const ipPort = ipPortMember(ip, port.protocol, port.port);
  const out = [member(SetName.LOAD_BALANCER, ipPort, config)];
  if (local) out.push(member(SetName.LOAD_BALANCER_LOCAL, ipPort, config));
  return [...out, ...firewallMembers(ip, ipPort, service, config)];
}

/**
 * loadBalancerSourceRanges: the port goes into KUBE-LOAD-BALANCER-FW (KUBE-PROXY-FIREWALL sends it
 * to KUBE-SOURCE-RANGES-FIREWALL), each range into -SOURCE-CIDR, and, when one of the node's IPs is
 * inside a range, `lbIP,proto:port,lbIP` into -SOURCE-IP: the node reaching the LB IP has the LB IP
 * as its source (it is bound on kube-ipvs0). Without that member the node is refused in
 * KUBE-IPVS-OUT-FILTER (iptables-rules.ts). Only this family's ranges count, as upstream filters
 * them per family (a range of the other family says nothing about this one).
 */
function firewallMembers(ip: string, ipPort: string, service: Service, config: FamilyConfig): SetMember[] {
  const ranges = service.loadBalancerSourceRanges.filter((cidr) => familyOf(cidr) === config.family);
  // A /0 range allows every source. ipset cannot even store it (the kernel refuses a /0 in every
  // hash:*net type, IPSET_ERR_INVALID_CIDR): upstream's sync fails there; here it means no firewall.
  if (ranges.length === 0 || ranges.some((cidr) => cidr.endsWith('/0'))) return [];
  const out = [member(SetName.LOAD_BALANCER_FW, ipPort, config), ...ranges.map((cidr) => member(SetName.LOAD_BALANCER_SOURCE_CIDR, `${ipPort},${hostless(cidr)}`, config))];
  if (config.nodeIPs.some((nodeIP) => inAnyCidr(nodeIP, ranges))) out.push(member(SetName.LOAD_BALANCER_SOURCE_IP, `${ipPort},${ip}`, config));
  return out;
}

/** `ipset save` prints a host-sized net as a bare address (kernel/ipset/members.ts). */
function hostless(cidr: string): string {
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

function member(base: BaseSetName, text: string, config: FamilyConfig): SetMember {
  return { set: familySetName(base, config.family), member: text };
}
