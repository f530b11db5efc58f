/**
 * What the desired-state function needs to know about this node and the proxier's settings, for ONE
 * IP family. Dual-stack runs the same single-family core twice.
 */
import type { IpFamily, IpvsScheduler } from '../validate/validate.ts';

export interface FamilyConfig {
  readonly family: IpFamily;
  readonly nodeName: string;
  /** `topology.kubernetes.io/zone` of this node, for topology hints. */
  readonly nodeZone: string | undefined;
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
