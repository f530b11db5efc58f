/**
 * Connection tracking: deleting stale UDP flows when a service or endpoint goes away, so clients
 * are not stuck on a dead backend until the UDP conntrack timeout expires (as upstream kube-proxy
 * does for UDP services).
 */
import type { IpFamily } from '../../validate/validate.ts';

/** Matches conntrack entries by their ORIGINAL-direction tuple (what the client sent). */
export interface UdpFlowFilter {
  readonly family: IpFamily;
  /** Original destination: the service IP (ClusterIP, external IP, node IP). */
  readonly destination: string;
  readonly destinationPort?: number;
  /** Original source (a client), when only one client's flows must go. */
  readonly source?: string;
}

export interface Conntrack {
  /** Deletes the matching UDP flows and resolves with how many were deleted (0 is not an error). */
  deleteUdpFlows(filter: UdpFlowFilter): Promise<number>;
}
