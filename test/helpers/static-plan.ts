/**
 * The configuration-only part of a first sync's plan (IPv4), as renderPlan prints it: every set of
 * upstream's IPVS mode, and our chains and jumps. Spelled out here once, so each golden plan lists
 * only what its services add; a change to the static structure shows up in this file's diff.
 */
export const CREATE_SETS_V4: readonly string[] = [
  'ipset create KUBE-LOOP-BACK hash:ip,port,ip family inet',
  'ipset create KUBE-CLUSTER-IP hash:ip,port family inet',
  'ipset create KUBE-EXTERNAL-IP hash:ip,port family inet',
  'ipset create KUBE-EXTERNAL-IP-LOCAL hash:ip,port family inet',
  'ipset create KUBE-LOAD-BALANCER hash:ip,port family inet',
  'ipset create KUBE-LOAD-BALANCER-LOCAL hash:ip,port family inet',
  'ipset create KUBE-LOAD-BALANCER-FW hash:ip,port family inet',
  'ipset create KUBE-LOAD-BALANCER-SOURCE-CIDR hash:ip,port,net family inet',
  'ipset create KUBE-LOAD-BALANCER-SOURCE-IP hash:ip,port,ip family inet',
  'ipset create KUBE-NODE-PORT-TCP bitmap:port range 0-65535',
  'ipset create KUBE-NODE-PORT-LOCAL-TCP bitmap:port range 0-65535',
  'ipset create KUBE-NODE-PORT-UDP bitmap:port range 0-65535',
  'ipset create KUBE-NODE-PORT-LOCAL-UDP bitmap:port range 0-65535',
  'ipset create KUBE-NODE-PORT-SCTP-HASH hash:ip,port family inet',
  'ipset create KUBE-NODE-PORT-LOCAL-SCTP-HASH hash:ip,port family inet',
  'ipset create KUBE-HEALTH-CHECK-NODE-PORT bitmap:port range 0-65535',
  'ipset create KUBE-IPVS-IPS hash:ip family inet',
];

/** KUBE-IPVS-OUT-FILTER has one rule per load-balancer port that refuses the node: none here. */
export const IPTABLES_FIRST_SYNC: readonly string[] = [
  'iptables -t nat rewrite KUBE-SERVICES (11 rules)',
  'iptables -t nat rewrite KUBE-POSTROUTING (4 rules)',
  'iptables -t nat rewrite KUBE-MARK-MASQ (1 rules)',
  'iptables -t nat rewrite KUBE-NODE-PORT (6 rules)',
  'iptables -t nat rewrite KUBE-LOAD-BALANCER (2 rules)',
  'iptables -t filter rewrite KUBE-FORWARD (2 rules)',
  'iptables -t filter rewrite KUBE-NODE-PORT (1 rules)',
  'iptables -t filter rewrite KUBE-PROXY-FIREWALL (1 rules)',
  'iptables -t filter rewrite KUBE-SOURCE-RANGES-FIREWALL (3 rules)',
  'iptables -t filter rewrite KUBE-IPVS-FILTER (6 rules)',
  'iptables -t filter rewrite KUBE-IPVS-OUT-FILTER (0 rules)',
  'iptables -t nat ensure PREROUTING -j KUBE-SERVICES',
  'iptables -t nat ensure OUTPUT -j KUBE-SERVICES',
  'iptables -t nat ensure POSTROUTING -j KUBE-POSTROUTING',
  'iptables -t filter ensure FORWARD -j KUBE-FORWARD',
  'iptables -t filter ensure INPUT -j KUBE-NODE-PORT',
  'iptables -t filter ensure INPUT -j KUBE-PROXY-FIREWALL',
  'iptables -t filter ensure FORWARD -j KUBE-PROXY-FIREWALL',
  'iptables -t filter ensure INPUT -j KUBE-IPVS-FILTER',
  'iptables -t filter ensure OUTPUT -j KUBE-IPVS-OUT-FILTER',
];
