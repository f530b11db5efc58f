// contributeService golden tables: addresses, virtual servers (flags, timeout, netmask), set members.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contributeService, EMPTY_CONTRIBUTION, type ServiceContribution, type ServiceEndpoints } from '../../../src/desired/contribution.ts';
import { parseService } from '../../../src/model/service.ts';
import type { Endpoint, Service } from '../../../src/model/types.ts';
import { familyConfig, service, slice, type SliceSpec } from '../../helpers/objects.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';

/** One line per fact, in contribution order: easy to read as a golden table. */
function render(c: ServiceContribution): string[] {
  const flags = (n: number): string => `0x${n.toString(16)}`;
  return [
    ...c.addresses.map((a) => `addr ${a}`),
    ...c.virtualServers.map(({ service: s, destinations }) => {
      const k = s.key;
      const where = k.kind === 'address' ? `${k.protocol} ${k.address}:${k.port}` : `FWM ${k.fwmark}`;
      const dests = destinations.map((d) => `${d.address}:${d.port}/${d.forward}/w${d.weight}`).join(' ');
      return `vs ${where} ${s.scheduler} flags ${flags(s.flags)} timeout ${s.timeout} netmask ${flags(s.netmask)} -> [${dests}]`;
    }),
    // The service's own members, then each virtual server's (they go with its claim: desired/index.ts).
    ...[...c.setMembers, ...c.virtualServers.flatMap((v) => v.setMembers)].map((m) => `set ${m.set} ${m.member}`),
  ];
}

function endpointsOf(...specs: SliceSpec[]): ServiceEndpoints {
  const merged = new Map<string, Endpoint[]>();
  for (const s of specs) {
    for (const [port, eps] of slice(s).endpointsByPort) merged.set(port, [...(merged.get(port) ?? []), ...eps]);
  }
  return merged;
}

function dualStack(): Service {
  const r = parseService({
    kind: 'Service', metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIPs: ['10.96.0.10', 'fd00::10'], ports: [{ name: 'http', port: 80 }] },
  });
  assert.equal(r.kind, 'ok');
  return (r as { value: Service }).value;
}

const web = service({ name: 'web', clusterIP: '10.96.0.10' });
const twoEndpoints = endpointsOf({ service: 'web', endpoints: [{ ip: '10.244.0.12', node: 'node-b' }, { ip: '10.244.0.11', node: 'node-a' }] });

describe('contributeService golden tables', () => {
  const cases: { name: string; service: Service; endpoints: ServiceEndpoints; config?: Partial<FamilyConfig>; expect: string[] }[] = [
    {
      name: 'rr ClusterIP: sorted destinations, KUBE-LOOP-BACK only for the local endpoint',
      service: web, endpoints: twoEndpoints,
      expect: [
        'addr 10.96.0.10',
        'vs TCP 10.96.0.10:80 rr flags 0x0 timeout 0 netmask 0xffffffff -> [10.244.0.11:8080/masq/w1 10.244.0.12:8080/masq/w1]',
        'set KUBE-IPVS-IPS 10.96.0.10',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
        'set KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11',
      ],
    },
    {
      name: 'ClientIP affinity → persistent flag 0x1 with its timeout',
      service: service({ name: 'web', clusterIP: '10.96.0.10', affinity: 300 }), endpoints: twoEndpoints, config: { nodeName: 'node-z' },
      expect: [
        'addr 10.96.0.10',
        'vs TCP 10.96.0.10:80 rr flags 0x1 timeout 300 netmask 0xffffffff -> [10.244.0.11:8080/masq/w1 10.244.0.12:8080/masq/w1]',
        'set KUBE-IPVS-IPS 10.96.0.10',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
      ],
    },
    {
      name: 'mh scheduler → mh-port flag 0x10',
      service: web, endpoints: new Map(), config: { scheduler: 'mh' },
      expect: ['addr 10.96.0.10', 'vs TCP 10.96.0.10:80 mh flags 0x10 timeout 0 netmask 0xffffffff -> []', 'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
    },
    {
      name: 'mh with ClientIP → 0x11',
      service: service({ name: 'web', clusterIP: '10.96.0.10', affinity: 10_800 }), endpoints: new Map(), config: { scheduler: 'mh' },
      expect: ['addr 10.96.0.10', 'vs TCP 10.96.0.10:80 mh flags 0x11 timeout 10800 netmask 0xffffffff -> []', 'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
    },
    {
      name: 'two ports, each with its own target port; endpoints of another port name are not used',
      service: service({ name: 'dns', clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }),
      endpoints: endpointsOf({
        service: 'dns', ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5354, protocol: 'TCP' }, { name: 'metrics', port: 9153 }],
        endpoints: ['10.244.0.7'],
      }),
      expect: [
        'addr 10.96.0.53',
        'vs UDP 10.96.0.53:53 rr flags 0x0 timeout 0 netmask 0xffffffff -> [10.244.0.7:5353/masq/w1]',
        'vs TCP 10.96.0.53:53 rr flags 0x0 timeout 0 netmask 0xffffffff -> [10.244.0.7:5354/masq/w1]',
        'set KUBE-IPVS-IPS 10.96.0.53',
        'set KUBE-CLUSTER-IP 10.96.0.53,udp:53',
        'set KUBE-LOOP-BACK 10.244.0.7,udp:5353,10.244.0.7',
        'set KUBE-CLUSTER-IP 10.96.0.53,tcp:53',
        'set KUBE-LOOP-BACK 10.244.0.7,tcp:5354,10.244.0.7',
      ],
    },
    {
      name: 'internalTrafficPolicy Local without local endpoints: a VS with no destinations (traffic dropped)',
      service: service({ name: 'web', clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local' }), endpoints: twoEndpoints, config: { nodeName: 'node-c' },
      expect: ['addr 10.96.0.10', 'vs TCP 10.96.0.10:80 rr flags 0x0 timeout 0 netmask 0xffffffff -> []', 'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
    },
    {
      name: 'not-ready local endpoints still get a hairpin entry; duplicate endpoints across slices collapse',
      service: web,
      endpoints: endpointsOf(
        { service: 'web', name: 'web-1', endpoints: ['10.244.0.11', { ip: '10.244.0.13', ready: false }] },
        { service: 'web', name: 'web-2', endpoints: ['10.244.0.11'] },
      ),
      expect: [
        'addr 10.96.0.10',
        'vs TCP 10.96.0.10:80 rr flags 0x0 timeout 0 netmask 0xffffffff -> [10.244.0.11:8080/masq/w1]',
        'set KUBE-IPVS-IPS 10.96.0.10',
        'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
        'set KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11',
        'set KUBE-LOOP-BACK 10.244.0.13,tcp:8080,10.244.0.13',
      ],
    },
    {
      name: 'IPv6 family: IPv6 cluster IP only, netmask 128, KUBE-6- sets, IPv4 endpoints ignored',
      service: dualStack(),
      endpoints: endpointsOf(
        { service: 'web', name: 'v4', endpoints: ['10.244.0.11'] },
        { service: 'web', name: 'v6', addressType: 'IPv6', endpoints: ['fd00:244::b', 'fd00:244::a'] },
      ),
      config: { family: 6, clusterCIDR: 'fd00:244::/64' },
      expect: [
        'addr fd00::10',
        'vs TCP fd00::10:80 rr flags 0x0 timeout 0 netmask 0x80 -> [fd00:244::a:8080/masq/w1 fd00:244::b:8080/masq/w1]',
        'set KUBE-6-IPVS-IPS fd00::10',
        'set KUBE-6-CLUSTER-IP fd00::10,tcp:80',
        'set KUBE-6-LOOP-BACK fd00:244::b,tcp:8080,fd00:244::b',
        'set KUBE-6-LOOP-BACK fd00:244::a,tcp:8080,fd00:244::a',
      ],
    },
    {
      name: 'dual-stack service on the IPv4 family: IPv4 only',
      service: dualStack(),
      endpoints: endpointsOf({ service: 'web', name: 'v6', addressType: 'IPv6', endpoints: ['fd00:244::a'] }),
      config: { nodeName: 'node-z' },
      expect: ['addr 10.96.0.10', 'vs TCP 10.96.0.10:80 rr flags 0x0 timeout 0 netmask 0xffffffff -> []', 'set KUBE-IPVS-IPS 10.96.0.10', 'set KUBE-CLUSTER-IP 10.96.0.10,tcp:80'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(render(contributeService(c.service, c.endpoints, familyConfig(c.config))), c.expect));
  }

  it('a service without an address of this family contributes nothing', () => {
    assert.equal(contributeService(web, twoEndpoints, familyConfig({ family: 6 })), EMPTY_CONTRIBUTION);
  });

  it('destinations are plain masq real servers with no thresholds', () => {
    const vs = contributeService(web, twoEndpoints, familyConfig()).virtualServers[0];
    assert.deepEqual(vs?.destinations[0], { family: 4, address: '10.244.0.11', port: 8080, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 });
    assert.deepEqual(vs?.service.key, { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.10', port: 80 });
  });
});
