/**
 * Kernel object names, identical to upstream kube-proxy's IPVS mode so existing runbooks, alerts and
 * `ipset list` habits keep working (pkg/proxy/ipvs/proxier.go, ipset.go).
 */
import type { IpFamily } from '../validate/validate.ts';

export const KUBE_IPVS_INTERFACE = 'kube-ipvs0';

export const SetName = {
  LOOP_BACK: 'KUBE-LOOP-BACK',
  CLUSTER_IP: 'KUBE-CLUSTER-IP',
  EXTERNAL_IP: 'KUBE-EXTERNAL-IP',
  EXTERNAL_IP_LOCAL: 'KUBE-EXTERNAL-IP-LOCAL',
  LOAD_BALANCER: 'KUBE-LOAD-BALANCER',
  LOAD_BALANCER_LOCAL: 'KUBE-LOAD-BALANCER-LOCAL',
  LOAD_BALANCER_FW: 'KUBE-LOAD-BALANCER-FW',
  LOAD_BALANCER_SOURCE_CIDR: 'KUBE-LOAD-BALANCER-SOURCE-CIDR',
  LOAD_BALANCER_SOURCE_IP: 'KUBE-LOAD-BALANCER-SOURCE-IP',
  NODE_PORT_TCP: 'KUBE-NODE-PORT-TCP',
  NODE_PORT_LOCAL_TCP: 'KUBE-NODE-PORT-LOCAL-TCP',
  NODE_PORT_UDP: 'KUBE-NODE-PORT-UDP',
  NODE_PORT_LOCAL_UDP: 'KUBE-NODE-PORT-LOCAL-UDP',
  NODE_PORT_SCTP_HASH: 'KUBE-NODE-PORT-SCTP-HASH',
  NODE_PORT_LOCAL_SCTP_HASH: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH',
  HEALTH_CHECK_NODE_PORT: 'KUBE-HEALTH-CHECK-NODE-PORT',
  IPVS_IPS: 'KUBE-IPVS-IPS',
} as const;
export type BaseSetName = (typeof SetName)[keyof typeof SetName];

/** IPv6 sets are `KUBE-6-…`, cut to ipset's 31-character limit (upstream ipset.go). */
export function familySetName(base: BaseSetName, family: IpFamily): string {
  if (family === 4) return base;
  return `KUBE-6-${base.slice('KUBE-'.length)}`.slice(0, 31);
}

export const Chain = {
  SERVICES: 'KUBE-SERVICES',
  POSTROUTING: 'KUBE-POSTROUTING',
  MARK_MASQ: 'KUBE-MARK-MASQ',
  NODE_PORT: 'KUBE-NODE-PORT',
  LOAD_BALANCER: 'KUBE-LOAD-BALANCER',
  FORWARD: 'KUBE-FORWARD',
  PROXY_FIREWALL: 'KUBE-PROXY-FIREWALL',
  SOURCE_RANGES_FIREWALL: 'KUBE-SOURCE-RANGES-FIREWALL',
  IPVS_FILTER: 'KUBE-IPVS-FILTER',
  IPVS_OUT_FILTER: 'KUBE-IPVS-OUT-FILTER',
} as const;
