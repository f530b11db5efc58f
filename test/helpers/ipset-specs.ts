/** One set of each type ipvs-proxier uses, IPv4 and IPv6, shared by the ipset real-kernel tests. */
import type { SetSpec } from '../../src/kernel/ipset/types.ts';

export const TEST_SETS = {
  loopBack: { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 4 },
  clusterIp: { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4 },
  sourceCidr: { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', family: 4 },
  nodePortTcp: { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 4 },
  ipvsIps: { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 4 },
  net: { name: 'KUBE-TEST-NET', type: 'hash:net', family: 4 },
  loopBack6: { name: 'KUBE-6-LOOP-BACK', type: 'hash:ip,port,ip', family: 6 },
  sourceCidr6: { name: 'KUBE-6-LOAD-BALANCER-SOURCE-CID', type: 'hash:ip,port,net', family: 6 },
  ipvsIps6: { name: 'KUBE-6-IPVS-IPS', type: 'hash:ip', family: 6 },
  net6: { name: 'KUBE-6-TEST-NET', type: 'hash:net', family: 6 },
} satisfies Record<string, SetSpec>;
