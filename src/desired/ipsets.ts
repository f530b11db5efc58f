/**
 * The ipsets this proxier maintains, as a data table (kube-proxy's ipsetInfo, same names, types
 * and comments). Which members they hold comes from the service contributions; the sets themselves
 * always exist, so the iptables rules that reference them are static and written once.
 */
import type { IpFamily } from '../validate/validate.ts';
import type { SetType } from '../kernel/ipset/types.ts';
import { SetName, familySetName, type BaseSetName } from './names.ts';

export interface DesiredSetSpec {
  readonly name: string;
  readonly type: SetType;
  readonly family: IpFamily;
  /** Upstream's comment, used in the iptables rules that match the set. */
  readonly comment: string;
}

// bitmap:port sets get the transaction's default range 0-65535, as upstream's DefaultPortRange.
// Upstream's SCTP comments quote 'hash ip:port'; our rule validator refuses quotes in a comment
// (a quote would need escaping in the restore file), so ours say it without them.
const SET_TABLE: readonly { readonly base: BaseSetName; readonly type: SetType; readonly comment: string }[] = [
  { base: SetName.LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { base: SetName.CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { base: SetName.EXTERNAL_IP, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  { base: SetName.EXTERNAL_IP_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  { base: SetName.LOAD_BALANCER, type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  { base: SetName.LOAD_BALANCER_LOCAL, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  { base: SetName.LOAD_BALANCER_FW, type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  { base: SetName.LOAD_BALANCER_SOURCE_CIDR, type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  { base: SetName.LOAD_BALANCER_SOURCE_IP, type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  { base: SetName.NODE_PORT_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  { base: SetName.NODE_PORT_LOCAL_TCP, type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  { base: SetName.NODE_PORT_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  { base: SetName.NODE_PORT_LOCAL_UDP, type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  { base: SetName.NODE_PORT_SCTP_HASH, type: 'hash:ip,port', comment: 'Kubernetes nodeport SCTP port for masquerade purpose with type hash ip:port' },
  { base: SetName.NODE_PORT_LOCAL_SCTP_HASH, type: 'hash:ip,port', comment: 'Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type hash ip:port' },
  { base: SetName.HEALTH_CHECK_NODE_PORT, type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  { base: SetName.IPVS_IPS, type: 'hash:ip', comment: 'IPVS virtual server IP addresses' },
];

export function desiredSets(family: IpFamily): DesiredSetSpec[] {
  return SET_TABLE.map(({ base, type, comment }) => ({ name: familySetName(base, family), type, family, comment }));
}

export function setComment(base: BaseSetName): string {
  const row = SET_TABLE.find((r) => r.base === base);
  if (row === undefined) throw new RangeError(`no set table row for ${base}`);
  return row.comment;
}
