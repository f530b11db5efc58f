// desiredIptables golden rule text (iptables-save spelling) per masquerade mode, mark bit and family.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { masqueradeMark } from '../../../src/desired/config.ts';
import { desiredIptables, nodeRefusedPorts, type NodeRefusedPort } from '../../../src/desired/iptables-rules.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import { familyConfig } from '../../helpers/objects.ts';

function render(config: Partial<FamilyConfig>, refused: NodeRefusedPort[] = []): string[] {
  const { chains, jumps } = desiredIptables(familyConfig(config), refused);
  return [
    ...chains.flatMap((c) => c.rules.map((r) => `${c.table} -A ${c.name} ${r.join(' ')}`)),
    ...jumps.map((j) => `${j.table} ${j.chain} -j ${j.target} "${j.comment}"`),
  ];
}

const CIP = '-m comment --comment Kubernetes service cluster ip + port for masquerade purpose -m set --match-set';
const JUMPS = [
  'nat PREROUTING -j KUBE-SERVICES "kubernetes service portals"',
  'nat OUTPUT -j KUBE-SERVICES "kubernetes service portals"',
  'nat POSTROUTING -j KUBE-POSTROUTING "kubernetes postrouting rules"',
  'filter FORWARD -j KUBE-FORWARD "kubernetes forwarding rules"',
  'filter INPUT -j KUBE-NODE-PORT "kubernetes health check rules"',
  'filter INPUT -j KUBE-PROXY-FIREWALL "kube-proxy firewall rules"',
  'filter FORWARD -j KUBE-PROXY-FIREWALL "kube-proxy firewall rules"',
  'filter INPUT -j KUBE-IPVS-FILTER "kubernetes ipvs access filter"',
  'filter OUTPUT -j KUBE-IPVS-OUT-FILTER "kubernetes ipvs access filter"',
];

const C = '-m comment --comment';
const EXT = `${C} Kubernetes service external ip + port for masquerade and filter purpose -m set --match-set`;
const EXT_LOCAL = `${C} Kubernetes service external ip + port with externalTrafficPolicy=local -m set --match-set`;
const OFF_NODE = '-m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT';

function golden(o: { masq: string; mark: string; loopback: string; v6?: boolean }): string[] {
  // IPv6 names are cut to ipset's 31 characters (KUBE-6-NODE-PORT-LOCAL-SCTP-HAS).
  const set = (base: string): string => (o.v6 === true ? `KUBE-6-${base}`.slice(0, 31) : `KUBE-${base}`);
  return [
    `nat -A KUBE-SERVICES -s ${o.loopback} -j RETURN`,
    `nat -A KUBE-SERVICES ${C} Kubernetes service lb portal -m set --match-set ${set('LOAD-BALANCER')} dst,dst -j KUBE-LOAD-BALANCER`,
    `nat -A KUBE-SERVICES ${o.masq}`,
    `nat -A KUBE-SERVICES ${EXT} ${set('EXTERNAL-IP')} dst,dst -j KUBE-MARK-MASQ`,
    `nat -A KUBE-SERVICES ${EXT} ${set('EXTERNAL-IP')} dst,dst ${OFF_NODE}`,
    `nat -A KUBE-SERVICES ${EXT} ${set('EXTERNAL-IP')} dst,dst -m addrtype --dst-type LOCAL -j ACCEPT`,
    `nat -A KUBE-SERVICES ${EXT_LOCAL} ${set('EXTERNAL-IP-LOCAL')} dst,dst ${OFF_NODE}`,
    `nat -A KUBE-SERVICES ${EXT_LOCAL} ${set('EXTERNAL-IP-LOCAL')} dst,dst -m addrtype --dst-type LOCAL -j ACCEPT`,
    'nat -A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    `nat -A KUBE-SERVICES -m set --match-set ${set('CLUSTER-IP')} dst,dst -j ACCEPT`,
    `nat -A KUBE-SERVICES -m set --match-set ${set('LOAD-BALANCER')} dst,dst -j ACCEPT`,
    `nat -A KUBE-POSTROUTING -m comment --comment Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose -m set --match-set ${set('LOOP-BACK')} dst,dst,src -j MASQUERADE`,
    `nat -A KUBE-POSTROUTING -m mark ! --mark ${o.mark}/${o.mark} -j RETURN`,
    `nat -A KUBE-POSTROUTING -j MARK --set-xmark ${o.mark}/0x0`,
    'nat -A KUBE-POSTROUTING -m comment --comment kubernetes service traffic requiring SNAT -j MASQUERADE --random-fully',
    `nat -A KUBE-MARK-MASQ -j MARK --set-xmark ${o.mark}/${o.mark}`,
    // Local node ports RETURN before their protocol's masquerade rule.
    `nat -A KUBE-NODE-PORT -p tcp ${C} Kubernetes nodeport TCP port with externalTrafficPolicy=local -m set --match-set ${set('NODE-PORT-LOCAL-TCP')} dst -j RETURN`,
    `nat -A KUBE-NODE-PORT -p tcp ${C} Kubernetes nodeport TCP port for masquerade purpose -m set --match-set ${set('NODE-PORT-TCP')} dst -j KUBE-MARK-MASQ`,
    `nat -A KUBE-NODE-PORT -p udp ${C} Kubernetes nodeport UDP port with externalTrafficPolicy=local -m set --match-set ${set('NODE-PORT-LOCAL-UDP')} dst -j RETURN`,
    `nat -A KUBE-NODE-PORT -p udp ${C} Kubernetes nodeport UDP port for masquerade purpose -m set --match-set ${set('NODE-PORT-UDP')} dst -j KUBE-MARK-MASQ`,
    `nat -A KUBE-NODE-PORT -p sctp ${C} Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type hash ip:port -m set --match-set ${set('NODE-PORT-LOCAL-SCTP-HASH')} dst,dst -j RETURN`,
    `nat -A KUBE-NODE-PORT -p sctp ${C} Kubernetes nodeport SCTP port for masquerade purpose with type hash ip:port -m set --match-set ${set('NODE-PORT-SCTP-HASH')} dst,dst -j KUBE-MARK-MASQ`,
    `nat -A KUBE-LOAD-BALANCER ${C} Kubernetes service load balancer ip + port with externalTrafficPolicy=local -m set --match-set ${set('LOAD-BALANCER-LOCAL')} dst,dst -j RETURN`,
    'nat -A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ',
    `filter -A KUBE-FORWARD -m comment --comment kubernetes forwarding rules -m mark --mark ${o.mark}/${o.mark} -j ACCEPT`,
    'filter -A KUBE-FORWARD -m comment --comment kubernetes forwarding conntrack rule -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    `filter -A KUBE-NODE-PORT ${C} Kubernetes health check node port -m set --match-set ${set('HEALTH-CHECK-NODE-PORT')} dst -j ACCEPT`,
    `filter -A KUBE-PROXY-FIREWALL ${C} Kubernetes service load balancer ip + port for load balancer with sourceRange -m set --match-set ${set('LOAD-BALANCER-FW')} dst,dst -j KUBE-SOURCE-RANGES-FIREWALL`,
    `filter -A KUBE-SOURCE-RANGES-FIREWALL ${C} Kubernetes service load balancer ip + port + source cidr for packet filter purpose -m set --match-set ${set('LOAD-BALANCER-SOURCE-CIDR')} dst,dst,src -j RETURN`,
    `filter -A KUBE-SOURCE-RANGES-FIREWALL ${C} Kubernetes service load balancer ip + port + source IP for packet filter purpose -m set --match-set ${set('LOAD-BALANCER-SOURCE-IP')} dst,dst,src -j RETURN`,
    'filter -A KUBE-SOURCE-RANGES-FIREWALL -j DROP',
    // Every service address set RETURNs before the REJECT, or its traffic would be refused as a non-service port.
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('LOAD-BALANCER')} dst,dst -j RETURN`,
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('CLUSTER-IP')} dst,dst -j RETURN`,
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('EXTERNAL-IP')} dst,dst -j RETURN`,
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('EXTERNAL-IP-LOCAL')} dst,dst -j RETURN`,
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('HEALTH-CHECK-NODE-PORT')} dst -j RETURN`,
    `filter -A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set ${set('IPVS-IPS')} dst -j REJECT --reject-with ${o.v6 === true ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'}`,
    ...JUMPS,
  ];
}

describe('desiredIptables golden rules', () => {
  const cases: { name: string; config: Partial<FamilyConfig>; expect: string[] }[] = [
    {
      name: 'clusterCIDR: traffic from outside the pod network is masqueraded',
      config: { clusterCIDR: '10.244.0.0/16' },
      expect: golden({ loopback: '127.0.0.0/8', mark: '0x4000', masq: `! -s 10.244.0.0/16 ${CIP} KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ` }),
    },
    {
      name: 'masqueradeAll wins over clusterCIDR',
      config: { masqueradeAll: true, clusterCIDR: '10.244.0.0/16' },
      expect: golden({ loopback: '127.0.0.0/8', mark: '0x4000', masq: `${CIP} KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ` }),
    },
    {
      name: 'neither: node-originated traffic (source is the ClusterIP) matched by src,dst',
      config: { clusterCIDR: undefined },
      expect: golden({ loopback: '127.0.0.0/8', mark: '0x4000', masq: `${CIP} KUBE-CLUSTER-IP src,dst -j KUBE-MARK-MASQ` }),
    },
    {
      name: 'masquerade bit 31 → 0x80000000 (not a negative number)',
      config: { masqueradeBit: 31 },
      expect: golden({ loopback: '127.0.0.0/8', mark: '0x80000000', masq: `! -s 10.244.0.0/16 ${CIP} KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ` }),
    },
    {
      name: 'IPv6: ::1/128 loopback, KUBE-6- sets, icmp6 reject',
      config: { family: 6, clusterCIDR: 'fd00:244::/64' },
      expect: golden({ v6: true, loopback: '::1/128', mark: '0x4000', masq: `! -s fd00:244::/64 ${CIP} KUBE-6-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ` }),
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(render(c.config), c.expect));
});

describe('KUBE-IPVS-OUT-FILTER (upstream issue 119656)', () => {
  it('one DROP per load-balancer port that refuses the node, sorted, in libxt_ipvs save order', () => {
    const rules = render({}, [
      { address: '203.0.113.9', protocol: 'UDP', port: 53 },
      { address: '203.0.113.5', protocol: 'TCP', port: 443 },
      { address: '203.0.113.5', protocol: 'SCTP', port: 9 },
    ]).filter((r) => r.includes('KUBE-IPVS-OUT-FILTER '));
    assert.deepEqual(rules, [
      'filter -A KUBE-IPVS-OUT-FILTER -s 203.0.113.5/32 -m ipvs --vproto 132 --vaddr 203.0.113.5/32 --vport 9 -j DROP',
      'filter -A KUBE-IPVS-OUT-FILTER -s 203.0.113.5/32 -m ipvs --vproto 6 --vaddr 203.0.113.5/32 --vport 443 -j DROP',
      'filter -A KUBE-IPVS-OUT-FILTER -s 203.0.113.9/32 -m ipvs --vproto 17 --vaddr 203.0.113.9/32 --vport 53 -j DROP',
      'filter OUTPUT -j KUBE-IPVS-OUT-FILTER "kubernetes ipvs access filter"',
    ]);
  });

  it('IPv6: /128 masks', () => {
    const rules = render({ family: 6, clusterCIDR: undefined }, [{ address: '2001:db8::5', protocol: 'TCP', port: 80 }]).filter((r) => r.startsWith('filter -A KUBE-IPVS-OUT-FILTER'));
    assert.deepEqual(rules, ['filter -A KUBE-IPVS-OUT-FILTER -s 2001:db8::5/128 -m ipvs --vproto 6 --vaddr 2001:db8::5/128 --vport 80 -j DROP']);
  });

  it('nodeRefusedPorts: firewalled ports without a -SOURCE-IP member (no node IP in the ranges)', () => {
    const members = new Map<string, ReadonlySet<string>>([
      ['KUBE-LOAD-BALANCER-FW', new Set(['203.0.113.5,tcp:443', '203.0.113.6,tcp:80'])],
      ['KUBE-LOAD-BALANCER-SOURCE-IP', new Set(['203.0.113.6,tcp:80,203.0.113.6'])],
    ]);
    assert.deepEqual(nodeRefusedPorts((set) => members.get(set) ?? new Set(), 4), [{ address: '203.0.113.5', protocol: 'TCP', port: 443 }]);
  });
});

describe('masqueradeMark', () => {
  const cases: [number, string][] = [[0, '0x1'], [1, '0x2'], [14, '0x4000'], [16, '0x10000'], [30, '0x40000000'], [31, '0x80000000']];
  for (const [bit, mark] of cases) it(`bit ${bit} → ${mark}`, () => assert.equal(masqueradeMark({ masqueradeBit: bit }), mark));
});
