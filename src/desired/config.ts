/**
 * What the desired-state function needs to know about this node and the proxier's settings, for ONE
 * IP family. Dual-stack runs the same single-family core twice.
 */
import type { IpFamily, IpvsScheduler } from '../validate/validate.ts';

export interface FamilyConfig {
  readonly family: IpFamily;
  readonly nodeName: string;
  /** `topology.kubernetes.io/zone` of this node, for topology hints (from NodeState). */
  readonly nodeZone: string | undefined;
  /** This node's IPs of this family (NodeState: kernel addresses, no kube-ipvs0, loopback or link-local). */
  readonly nodeIPs: readonly string[];
  readonly scheduler: IpvsScheduler;
  /** `--masquerade-all`: SNAT every packet to a service address. */
  readonly masqueradeAll: boolean;
  /** Bit of the fwmark that asks KUBE-POSTROUTING to masquerade (upstream default 14 → 0x4000). */
  readonly masqueradeBit: number;
  /** `--cluster-cidr` for this family: traffic from outside it to a ClusterIP is masqueraded. */
  readonly clusterCIDR: string | undefined;
  /** `--ipvs-exclude-cidrs`: virtual servers in these ranges are never cleaned up. */
  readonly excludeCIDRs: readonly string[];
}

export function masqueradeMark(config: Pick<FamilyConfig, 'masqueradeBit'>): string {
  // 2 ** bit, not 1 << bit: bit 31 would make a negative number.
  return `0x${(2 ** config.masqueradeBit).toString(16)}`;
}

/** The family's settings with what the node state decides; the same object when nothing differs. */
export function withNodeState(config: FamilyConfig, node: { readonly zone: string | undefined; readonly addresses: Readonly<Record<4 | 6, readonly string[]>> }): FamilyConfig {
  const nodeIPs = node.addresses[config.family];
  const sameIPs = nodeIPs.length === config.nodeIPs.length && nodeIPs.every((ip, i) => ip === config.nodeIPs[i]);
  if (config.nodeZone === node.zone && sameIPs) return config;
  return { ...config, nodeZone: node.zone, nodeIPs };
}
