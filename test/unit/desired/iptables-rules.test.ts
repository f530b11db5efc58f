// desiredIptables golden rule text (iptables-save spelling) per masquerade mode, mark bit and family.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { masqueradeMark } from '../../../src/desired/config.ts';
import { desiredIptables } from '../../../src/desired/iptables-rules.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import { familyConfig } from '../../helpers/objects.ts';

function render(config: Partial<FamilyConfig>): string[] {
  const { chains, jumps } = desiredIptables(familyConfig(config));
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
  'filter INPUT -j KUBE-IPVS-FILTER "kubernetes ipvs access filter"',
];

function golden(o: { masq: string; mark: string; loopback: string; v6?: boolean }): string[] {
  const set = (base: string): string => (o.v6 === true ? `KUBE-6-${base}` : `KUBE-${base}`);
  return [
    `nat -A KUBE-SERVICES -s ${o.loopback} -j RETURN`,
    `nat -A KUBE-SERVICES ${o.masq}`,
    `nat -A KUBE-SERVICES -m set --match-set ${set('CLUSTER-IP')} dst,dst -j ACCEPT`,
    `nat -A KUBE-POSTROUTING -m comment --comment Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose -m set --match-set ${set('LOOP-BACK')} dst,dst,src -j MASQUERADE`,
    `nat -A KUBE-POSTROUTING -m mark ! --mark ${o.mark}/${o.mark} -j RETURN`,
    `nat -A KUBE-POSTROUTING -j MARK --set-xmark ${o.mark}/0x0`,
    'nat -A KUBE-POSTROUTING -m comment --comment kubernetes service traffic requiring SNAT -j MASQUERADE --random-fully',
    `nat -A KUBE-MARK-MASQ -j MARK --set-xmark ${o.mark}/${o.mark}`,
    `filter -A KUBE-FORWARD -m comment --comment kubernetes forwarding rules -m mark --mark ${o.mark}/${o.mark} -j ACCEPT`,
    'filter -A KUBE-FORWARD -m comment --comment kubernetes forwarding conntrack rule -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    `filter -A KUBE-IPVS-FILTER -m set --match-set ${set('CLUSTER-IP')} dst,dst -j RETURN`,
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

describe('masqueradeMark', () => {
  const cases: [number, string][] = [[0, '0x1'], [1, '0x2'], [14, '0x4000'], [16, '0x10000'], [30, '0x40000000'], [31, '0x80000000']];
  for (const [bit, mark] of cases) it(`bit ${bit} → ${mark}`, () => assert.equal(masqueradeMark({ masqueradeBit: bit }), mark));
});
