// contributeService golden tables for traffic from outside the cluster: NodePort (TCP, UDP, SCTP),
// externalIPs (allowlist, switch), LoadBalancer (ipMode, source ranges), externalTrafficPolicy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contributeService, type ServiceContribution, type ServiceEndpoints } from '../../../src/desired/contribution.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import type { Endpoint } from '../../../src/model/types.ts';
import { familyConfig, service, slice, type ServiceSpec, type SliceSpec } from '../../helpers/objects.ts';

/** One line per fact; the ClusterIP part is the same as contribution.test.ts's. */
function render(c: ServiceContribution): string[] {
  return [
    ...c.addresses.map((a) => `addr ${a}`),
    ...c.virtualServers.map(({ service: s, destinations }) => {
      const k = s.key;
      const where = k.kind === 'address' ? `${k.protocol} ${k.address}:${k.port}` : `FWM ${k.fwmark}`;
      return `vs ${where} -> [${destinations.map((d) => `${d.address}:${d.port}`).join(' ')}]`;
    }),
    ...[...c.setMembers, ...c.virtualServers.flatMap((v) => v.setMembers)].map((m) => `set ${m.set} ${m.member}`),
    ...c.refusedExternalIPs.map((r) => `refused ${r.address} ${r.reason}`),
  ];
}

function endpointsOf(s: SliceSpec): ServiceEndpoints {
  return new Map<string, readonly Endpoint[]>(slice(s).endpointsByPort);
}

// 10.244.0.11 is on this node (node-a), 10.244.0.12 on node-b.
const endpoints = endpointsOf({ service: 'web', endpoints: [{ ip: '10.244.0.12', node: 'node-b' }, { ip: '10.244.0.11', node: 'node-a' }] });
const remoteOnly = endpointsOf({ service: 'web', endpoints: [{ ip: '10.244.0.12', node: 'node-b' }] });
const NODE: Partial<FamilyConfig> = { nodeIPs: ['192.168.1.20', '192.168.1.21'], nodePortIPs: ['192.168.1.20', '192.168.1.21'] };
const svc = (over: Partial<ServiceSpec>): ServiceSpec => ({ name: 'web', clusterIP: '10.96.0.10', ...over });
const CLUSTER_IP = [
  'vs TCP 10.96.0.10:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
];
const CLUSTER_IP_SETS = ['set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', 'set KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11'];
const LOOP = 'set KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11';

describe('contributeService: traffic from outside the cluster', () => {
  const cases: { name: string; spec: ServiceSpec; endpoints?: ServiceEndpoints; config?: Partial<FamilyConfig>; expect: string[] }[] = [
    {
      name: 'NodePort, Cluster policy: a VS on every NodePort IP, the port in the bitmap set (masqueraded)',
      spec: svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), config: NODE,
      expect: [
        'addr 10.96.0.10', ...CLUSTER_IP,
        'vs TCP 192.168.1.20:30080 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'vs TCP 192.168.1.21:30080 -> [10.244.0.11:8080 10.244.0.12:8080]',
        ...CLUSTER_IP_SETS,
        'set KUBE-NODE-PORT-TCP 30080', LOOP,
        'set KUBE-NODE-PORT-TCP 30080', LOOP,
      ],
    },
    {
      name: 'NodePort, Local policy: only this node\'s endpoint, and the -LOCAL set (not masqueraded); the ClusterIP keeps every endpoint',
      spec: svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10', ...CLUSTER_IP,
        'vs TCP 192.168.1.20:30080 -> [10.244.0.11:8080]',
        ...CLUSTER_IP_SETS,
        'set KUBE-NODE-PORT-TCP 30080', 'set KUBE-NODE-PORT-LOCAL-TCP 30080', LOOP,
      ],
    },
    {
      name: 'NodePort, Local policy without a local endpoint: NO real server (dropped; upstream IPVS fell back to all, PR 97081)',
      spec: svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), endpoints: remoteOnly, config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10', 'vs TCP 10.96.0.10:80 -> [10.244.0.12:8080]', 'vs TCP 192.168.1.20:30080 -> []',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
        'set KUBE-NODE-PORT-TCP 30080', 'set KUBE-NODE-PORT-LOCAL-TCP 30080',
      ],
    },
    {
      name: 'UDP and SCTP node ports: UDP in its bitmap set, SCTP as nodeIP,sctp:port in the hash set; a nodePort of 0 gets none',
      spec: svc({
        type: 'NodePort',
        ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }, { name: 's', port: 9, protocol: 'SCTP', nodePort: 30009 }, { name: 'http', port: 80 }],
      }),
      endpoints: new Map(), config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10',
        'vs UDP 10.96.0.10:53 -> []', 'vs UDP 192.168.1.20:30053 -> []', 'vs SCTP 10.96.0.10:9 -> []', 'vs SCTP 192.168.1.20:30009 -> []', 'vs TCP 10.96.0.10:80 -> []',
        'set KUBE-IPVS-IPS 10.96.0.10',
        'set KUBE-CLUSTER-IP 10.96.0.10,udp:53', 'set KUBE-NODE-PORT-UDP 30053',
        'set KUBE-CLUSTER-IP 10.96.0.10,sctp:9', 'set KUBE-NODE-PORT-SCTP-HASH 192.168.1.20,sctp:30009',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
      ],
    },
    {
      name: 'no NodePort IP (none selected by --nodeport-addresses): no node-port VS',
      spec: svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] }), config: { nodeIPs: ['192.168.1.20'], nodePortIPs: [] },
      expect: ['addr 10.96.0.10', ...CLUSTER_IP, ...CLUSTER_IP_SETS],
    },
    {
      name: 'externalIPs: bound unless the node has the address already; Cluster → KUBE-EXTERNAL-IP; the other family\'s is ignored',
      spec: svc({ externalIPs: ['203.0.113.7', '192.168.1.21', 'fd00::7'] }), config: NODE,
      expect: [
        'addr 10.96.0.10', 'addr 203.0.113.7', ...CLUSTER_IP,
        'vs TCP 203.0.113.7:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'vs TCP 192.168.1.21:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 203.0.113.7', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-EXTERNAL-IP 203.0.113.7,tcp:80', LOOP,
        'set KUBE-EXTERNAL-IP 192.168.1.21,tcp:80', LOOP,
      ],
    },
    {
      name: 'externalIPs with Local policy → KUBE-EXTERNAL-IP-LOCAL only, local endpoints',
      spec: svc({ externalIPs: ['203.0.113.7'], externalTrafficPolicy: 'Local' }),
      expect: [
        'addr 10.96.0.10', 'addr 203.0.113.7', ...CLUSTER_IP, 'vs TCP 203.0.113.7:80 -> [10.244.0.11:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 203.0.113.7', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-EXTERNAL-IP-LOCAL 203.0.113.7,tcp:80', LOOP,
      ],
    },
    {
      name: '--external-ip-cidrs: an externalIP outside every range is refused (and reported), one inside is served',
      spec: svc({ externalIPs: ['203.0.113.7', '198.51.100.9'] }), config: { externalIPs: { enabled: true, cidrs: ['203.0.113.0/24', 'fd00::/8'] } },
      expect: [
        'addr 10.96.0.10', 'addr 203.0.113.7', ...CLUSTER_IP, 'vs TCP 203.0.113.7:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 203.0.113.7', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-EXTERNAL-IP 203.0.113.7,tcp:80', LOOP,
        'refused 198.51.100.9 not-allowed',
      ],
    },
    {
      name: '--disable-external-ips: every externalIP refused; ingress IPs are not externalIPs and still served',
      spec: svc({ type: 'LoadBalancer', externalIPs: ['203.0.113.7'], ingress: [{ ip: '198.51.100.1' }] }), config: { externalIPs: { enabled: false, cidrs: [] } },
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1', ...CLUSTER_IP, 'vs TCP 198.51.100.1:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80', LOOP,
        'refused 203.0.113.7 disabled',
      ],
    },
    {
      name: 'LoadBalancer, Local: KUBE-LOAD-BALANCER and -LOCAL; ipMode Proxy skipped; node ports as well',
      spec: svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ingress: [{ ip: '198.51.100.1' }, { ip: '198.51.100.2', ipMode: 'Proxy' }] }),
      config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1', ...CLUSTER_IP,
        'vs TCP 192.168.1.20:30080 -> [10.244.0.11:8080]', 'vs TCP 198.51.100.1:80 -> [10.244.0.11:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-NODE-PORT-TCP 30080', 'set KUBE-NODE-PORT-LOCAL-TCP 30080', LOOP,
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80', 'set KUBE-LOAD-BALANCER-LOCAL 198.51.100.1,tcp:80', LOOP,
      ],
    },
    {
      name: 'LoadBalancer, Local, healthCheckNodePort: the port in KUBE-HEALTH-CHECK-NODE-PORT, once per service (bitmap:port)',
      spec: svc({
        type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000,
        ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443, nodePort: 30443 }], ingress: [{ ip: '198.51.100.1' }],
      }),
      endpoints: new Map(), config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1',
        'vs TCP 10.96.0.10:80 -> []', 'vs TCP 192.168.1.20:30080 -> []', 'vs TCP 198.51.100.1:80 -> []',
        'vs TCP 10.96.0.10:443 -> []', 'vs TCP 192.168.1.20:30443 -> []', 'vs TCP 198.51.100.1:443 -> []',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-HEALTH-CHECK-NODE-PORT 32000',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', 'set KUBE-NODE-PORT-TCP 30080', 'set KUBE-NODE-PORT-LOCAL-TCP 30080',
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80', 'set KUBE-LOAD-BALANCER-LOCAL 198.51.100.1,tcp:80',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:443', 'set KUBE-NODE-PORT-TCP 30443', 'set KUBE-NODE-PORT-LOCAL-TCP 30443',
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:443', 'set KUBE-LOAD-BALANCER-LOCAL 198.51.100.1,tcp:443',
      ],
    },
    {
      name: 'a healthCheckNodePort on a NodePort or a Cluster-policy LoadBalancer is ignored (upstream NeedsHealthCheck)',
      spec: svc({ type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, ports: [{ name: 'http', port: 80, nodePort: 30080 }] }),
      endpoints: new Map(), config: { ...NODE, nodePortIPs: ['192.168.1.20'] },
      expect: [
        'addr 10.96.0.10', 'vs TCP 10.96.0.10:80 -> []', 'vs TCP 192.168.1.20:30080 -> []',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', 'set KUBE-NODE-PORT-TCP 30080', 'set KUBE-NODE-PORT-LOCAL-TCP 30080',
      ],
    },
    {
      name: 'loadBalancerSourceRanges without the node: -FW and one -SOURCE-CIDR per range (host-sized bare), no -SOURCE-IP',
      spec: svc({ type: 'LoadBalancer', ingress: [{ ip: '198.51.100.1' }], loadBalancerSourceRanges: ['10.0.0.0/8', '203.0.113.5/32', 'fd00::/8'] }), config: NODE,
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1', ...CLUSTER_IP, 'vs TCP 198.51.100.1:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80',
        'set KUBE-LOAD-BALANCER-FW 198.51.100.1,tcp:80',
        'set KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.1,tcp:80,10.0.0.0/8',
        'set KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.1,tcp:80,203.0.113.5',
        LOOP,
      ],
    },
    {
      name: 'a node IP inside a range: -SOURCE-IP lbIP,proto:port,lbIP lets the node in',
      spec: svc({ type: 'LoadBalancer', ingress: [{ ip: '198.51.100.1' }], loadBalancerSourceRanges: ['192.168.0.0/16'] }), config: NODE,
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1', ...CLUSTER_IP, 'vs TCP 198.51.100.1:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80',
        'set KUBE-LOAD-BALANCER-FW 198.51.100.1,tcp:80',
        'set KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.1,tcp:80,192.168.0.0/16',
        'set KUBE-LOAD-BALANCER-SOURCE-IP 198.51.100.1,tcp:80,198.51.100.1',
        LOOP,
      ],
    },
    {
      name: 'a /0 range allows everyone: no firewall at all (ipset cannot store /0)',
      spec: svc({ type: 'LoadBalancer', ingress: [{ ip: '198.51.100.1' }], loadBalancerSourceRanges: ['10.0.0.0/8', '0.0.0.0/0'] }),
      expect: [
        'addr 10.96.0.10', 'addr 198.51.100.1', ...CLUSTER_IP, 'vs TCP 198.51.100.1:80 -> [10.244.0.11:8080 10.244.0.12:8080]',
        'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-IPVS-IPS 198.51.100.1', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80', LOOP,
        'set KUBE-LOAD-BALANCER 198.51.100.1,tcp:80', LOOP,
      ],
    },
    {
      name: 'a stale ingress on a service that is no longer a LoadBalancer is not served',
      spec: svc({ type: 'ClusterIP', ingress: [{ ip: '198.51.100.1' }] }),
      expect: ['addr 10.96.0.10', ...CLUSTER_IP, ...CLUSTER_IP_SETS],
    },
    {
      name: 'IPv6 family: KUBE-6- sets, IPv6 node ports and ingress only',
      spec: {
        name: 'web', clusterIP: 'fd00::10', type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30080 }],
        ingress: [{ ip: '198.51.100.1' }, { ip: '2001:db8::1' }],
      },
      endpoints: new Map(), config: { family: 6, clusterCIDR: undefined, nodeIPs: ['2001:db8:1::20'], nodePortIPs: ['2001:db8:1::20'] },
      expect: [
        'addr fd00::10', 'addr 2001:db8::1',
        'vs TCP fd00::10:80 -> []', 'vs TCP 2001:db8:1::20:30080 -> []', 'vs TCP 2001:db8::1:80 -> []',
        'set KUBE-6-IPVS-IPS fd00::10', 'set KUBE-6-IPVS-IPS 2001:db8::1', 'set KUBE-6-CLUSTER-IP fd00::10,tcp:80',
        'set KUBE-6-NODE-PORT-TCP 30080', 'set KUBE-6-LOAD-BALANCER 2001:db8::1,tcp:80',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(render(contributeService(service(c.spec), c.endpoints ?? endpoints, familyConfig(c.config))), c.expect));
  }

  it('a Cluster-policy LoadBalancer gets no health-check member; the IPv6 family\'s is KUBE-6-HEALTH-CHECK-NODE-PORT', () => {
    const members = (spec: ServiceSpec, config?: Partial<FamilyConfig>): string[] =>
      render(contributeService(service(spec), new Map(), familyConfig(config))).filter((l) => l.includes('HEALTH'));
    assert.deepEqual(members(svc({ type: 'LoadBalancer', healthCheckNodePort: 32000, ports: [{ name: 'http', port: 80, nodePort: 30080 }] })), []);
    const v6 = { name: 'web', clusterIP: 'fd00::10', type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, ports: [{ name: 'http', port: 80, nodePort: 30080 }] } as const;
    assert.deepEqual(members({ ...v6, ports: [...v6.ports] }, { family: 6, clusterCIDR: undefined }), ['set KUBE-6-HEALTH-CHECK-NODE-PORT 32000']);
  });
});
