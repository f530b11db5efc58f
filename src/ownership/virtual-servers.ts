/**
 * Which IPVS virtual servers are ours to delete. A virtual server has no name, so ownership comes
 * from its address, as a list of claims; the first that holds makes it ours. Anything no claim
 * covers (a virtual server someone added by hand, another load balancer's) is foreign and survives.
 *
 * Today one claim: an address that is (or, before this sync, was) bound on kube-ipvs0. NodePort
 * adds a second when it lands: this node's IPs (node state) on one of our node ports. It goes in
 * CLAIMS, with what it needs in VirtualServerScope.
 *
 * `--ipvs-exclude-cidrs` overrides every claim: upstream never deletes a virtual server in those
 * ranges. Firewall-mark virtual servers are never ours (we create none).
 */
import type { VirtualServerKey } from '../kernel/ipvs/types.ts';
import type { IpFamily } from '../validate/validate.ts';
import { isExcluded } from './exclude.ts';

type AddressKey = Extract<VirtualServerKey, { kind: 'address' }>;

export interface VirtualServerScope {
  /** Only this family's virtual servers; undefined: every family (`--cleanup`). */
  readonly family: IpFamily | undefined;
  /** Whether the address is, or was, bound on kube-ipvs0. */
  readonly onKubeIpvs0: (address: string) => boolean;
  readonly excludeCIDRs: readonly string[];
}

type Claim = (key: AddressKey, scope: VirtualServerScope) => boolean;

const CLAIMS: readonly Claim[] = [
  (key, scope) => scope.onKubeIpvs0(key.address),
];

export function ownsVirtualServer(key: VirtualServerKey, scope: VirtualServerScope): boolean {
  if (key.kind !== 'address') return false;
  if (scope.family !== undefined && key.family !== scope.family) return false;
  return CLAIMS.some((claim) => claim(key, scope)) && !isExcluded(key.address, scope.excludeCIDRs);
}
