/**
 * Which IPVS virtual servers are ours to delete. A virtual server has no name, so ownership comes
 * from its address and port, as a list of claims; the first that holds makes it ours. Anything no
 * claim covers (a virtual server someone added by hand, another load balancer's) is foreign and
 * survives.
 *
 * - Service IPs: an address that is (or, before this sync, was) bound on kube-ipvs0. Nobody else
 *   puts addresses there, so any port on them is ours.
 * - Node ports: an address that is one of this node's IPs (node state, every link but kube-ipvs0)
 *   AND a protocol and port some NodePorts source vouches for (node-ports.ts). Node IPs are shared
 *   with keepalived, other load balancers and operators, so the address alone proves nothing.
 *   The source is the NodePort, externalIP and load-balancer sets (ours and upstream's share the
 *   names), as observed before the same plan removes members (or `--cleanup` destroys the sets).
 * - Served: a server this process desired on a node IP (served-servers.ts), even if the IP has
 *   gone from the node since: we created it, and nobody else put that address and port there.
 *
 * `--ipvs-exclude-cidrs` overrides every claim: upstream never deletes a virtual server in those
 * ranges. Firewall-mark virtual servers are never ours (we create none).
 */
import type { VirtualServerKey } from '../kernel/ipvs/types.ts';
import type { IpFamily } from '../validate/validate.ts';
import { isExcluded } from './exclude.ts';
import type { NodePorts } from './node-ports.ts';

type AddressKey = Extract<VirtualServerKey, { kind: 'address' }>;

export interface VirtualServerScope {
  /** Only this family's virtual servers; undefined: every family (`--cleanup`). */
  readonly family: IpFamily | undefined;
  /** Whether the address is, or was, bound on kube-ipvs0. */
  readonly onKubeIpvs0: (address: string) => boolean;
  /**
   * This node's IPs (model/node-state.ts nodeAddressesOf), of the families in scope: all of them,
   * not only those `--nodeport-addresses` selects, since upstream may have run with other settings.
   */
  readonly nodeIPs: ReadonlySet<string>;
  /** Every source of node ports; a node-IP virtual server is ours when one of them has its port. */
  readonly nodePorts: readonly NodePorts[];
  readonly excludeCIDRs: readonly string[];
  /** Servers this process desired off kube-ipvs0 (ServedServers); absent: none (`--cleanup`). */
  readonly served?: ((key: AddressKey) => boolean) | undefined;
}

type Claim = (key: AddressKey, scope: VirtualServerScope) => boolean;

const CLAIMS: readonly Claim[] = [
  (key, scope) => scope.onKubeIpvs0(key.address),
  (key, scope) => scope.nodeIPs.has(key.address) && scope.nodePorts.some((ports) => ports.has(key)),
  (key, scope) => scope.served?.(key) === true,
];

export function ownsVirtualServer(key: VirtualServerKey, scope: VirtualServerScope): boolean {
  if (key.kind !== 'address') return false;
  if (scope.family !== undefined && key.family !== scope.family) return false;
  return CLAIMS.some((claim) => claim(key, scope)) && !isExcluded(key.address, scope.excludeCIDRs);
}
