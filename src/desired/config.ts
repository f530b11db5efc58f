/**
 * What the desired-state function needs to know about this node and the proxier's settings, for ONE
 * IP family. Dual-stack runs the same single-family core twice.
 */
import type { NodePortAddresses } from '../config/settings.ts';
import { inAnyCidr } from '../validate/cidr.ts';
import { familyOf } from './members.ts';
import type { IpFamily, IpvsScheduler } from '../validate/validate.ts';

export interface FamilyConfig {
  readonly family: IpFamily;
  readonly nodeName: string;
  /** `topology.kubernetes.io/zone` of this node, for topology hints (from NodeState). */
  readonly nodeZone: string | undefined;
  /** This node's IPs of this family (NodeState: kernel addresses, no kube-ipvs0, loopback or link-local). */
  readonly nodeIPs: readonly string[];
  /** `--nodeport-addresses`: which node IPs serve NodePorts. */
  readonly nodePortAddresses: NodePortAddresses;
  /** The node IPs that serve NodePorts, of this family (nodePortIPs below). */
  readonly nodePortIPs: readonly string[];
  readonly scheduler: IpvsScheduler;
  /** `--masquerade-all`: SNAT every packet to a service address. */
  readonly masqueradeAll: boolean;
  /** Bit of the fwmark that asks KUBE-POSTROUTING to masquerade (upstream default 14 → 0x4000). */
  readonly masqueradeBit: number;
  /** `--cluster-cidr` for this family: traffic from outside it to a ClusterIP is masqueraded. */
  readonly clusterCIDR: string | undefined;
  /** `--ipvs-exclude-cidrs`: virtual servers in these ranges are never cleaned up. */
  readonly excludeCIDRs: readonly string[];
  /** Which Service externalIPs are served (CVE-2020-8554: anyone who can create a Service could intercept any address). */
  readonly externalIPs: ExternalIPPolicy;
}

/**
 * `--disable-external-ips` and `--external-ip-cidrs`. Every family's CIDRs are kept together: an
 * allowlist naming only IPv4 ranges refuses every IPv6 externalIP, it does not allow them all.
 */
export interface ExternalIPPolicy {
  readonly enabled: boolean;
  /** Empty: every address is allowed (upstream's behaviour). */
  readonly cidrs: readonly string[];
}

export const ALLOW_ALL_EXTERNAL_IPS: ExternalIPPolicy = { enabled: true, cidrs: [] };

export function masqueradeMark(config: Pick<FamilyConfig, 'masqueradeBit'>): string {
  // 2 ** bit, not 1 << bit: bit 31 would make a negative number.
  return `0x${(2 ** config.masqueradeBit).toString(16)}`;
}

interface NodeFacts {
  readonly zone: string | undefined;
  readonly addresses: Readonly<Record<IpFamily, readonly string[]>>;
  readonly primaryIPs: readonly string[];
}

/** The family's settings with what the node state decides; the same object when nothing differs. */
export function withNodeState(config: FamilyConfig, node: NodeFacts): FamilyConfig {
  const nodeIPs = node.addresses[config.family];
  const portIPs = nodePortIPs(config.family, config.nodePortAddresses, nodeIPs, node.primaryIPs);
  if (config.nodeZone === node.zone && sameList(nodeIPs, config.nodeIPs) && sameList(portIPs, config.nodePortIPs)) return config;
  return { ...config, nodeZone: node.zone, nodeIPs, nodePortIPs: portIPs };
}

/**
 * Upstream's NodePortAddresses (pkg/proxy/util/nodeport_addresses.go): `all` is every node IP;
 * `primary` the Node object's primary IP of this family; CIDRs the node IPs inside those of this
 * family, and every node IP when none of the CIDRs is of this family.
 */
export function nodePortIPs(family: IpFamily, setting: NodePortAddresses, nodeIPs: readonly string[], primaryIPs: readonly string[]): readonly string[] {
  if (setting.kind === 'all') return nodeIPs;
  if (setting.kind === 'primary') return primaryIPs.filter((ip) => familyOf(ip) === family);
  const ranges = setting.cidrs.filter((c) => familyOf(c) === family);
  if (ranges.length === 0) return nodeIPs;
  return nodeIPs.filter((ip) => inAnyCidr(ip, ranges));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
