/**
 * The fixed iptables structure, as data (the nftables proxier's way): our chains per table, their
 * rules, and the jumps from the built-in chains. It depends only on configuration, never on
 * services (service membership lives in ipsets), so a sync with no config change writes no rules.
 *
 * Rules are spelled exactly as `iptables-save` prints them (e.g. `MARK --or-mark 0x4000` is saved as
 * `--set-xmark 0x4000/0x4000`), so drift detection is a plain comparison with a fresh save.
 */
import type { JumpRule, Table } from '../kernel/iptables/types.ts';
import type { FamilyConfig } from './config.ts';
import { masqueradeMark } from './config.ts';
import { Chain, SetName, familySetName } from './names.ts';
import { setComment } from './ipsets.ts';

export interface DesiredChain {
  readonly table: Table;
  readonly name: string;
  readonly rules: readonly (readonly string[])[];
}

export interface DesiredIptables {
  readonly chains: readonly DesiredChain[];
  readonly jumps: readonly JumpRule[];
}

export const JUMPS: readonly JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', target: Chain.SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'OUTPUT', target: Chain.SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'POSTROUTING', target: Chain.POSTROUTING, comment: 'kubernetes postrouting rules' },
  { table: 'filter', chain: 'FORWARD', target: Chain.FORWARD, comment: 'kubernetes forwarding rules' },
  { table: 'filter', chain: 'INPUT', target: Chain.IPVS_FILTER, comment: 'kubernetes ipvs access filter' },
];

export function desiredIptables(config: FamilyConfig): DesiredIptables {
  return {
    chains: [
      { table: 'nat', name: Chain.SERVICES, rules: servicesRules(config) },
      { table: 'nat', name: Chain.POSTROUTING, rules: postroutingRules(config) },
      { table: 'nat', name: Chain.MARK_MASQ, rules: [['-j', 'MARK', '--set-xmark', `${masqueradeMark(config)}/${masqueradeMark(config)}`]] },
      { table: 'filter', name: Chain.FORWARD, rules: forwardRules(config) },
      { table: 'filter', name: Chain.IPVS_FILTER, rules: ipvsFilterRules(config) },
    ],
    jumps: JUMPS,
  };
}

function servicesRules(config: FamilyConfig): string[][] {
  const clusterIPSet = familySetName(SetName.CLUSTER_IP, config.family);
  const loopback = config.family === 4 ? '127.0.0.0/8' : '::1/128';
  const match = ['-m', 'comment', '--comment', setComment(SetName.CLUSTER_IP), '-m', 'set', '--match-set', clusterIPSet];
  return [
    // Host-local clients of a service keep their source (upstream does the same).
    ['-s', loopback, '-j', 'RETURN'],
    masqueradeRule(config, match),
    // Accept service traffic in case a foreign rule would drop it before IPVS sees it.
    ['-m', 'set', '--match-set', clusterIPSet, 'dst,dst', '-j', 'ACCEPT'],
  ];
}

/**
 * - masqueradeAll: every packet to a service is masqueraded.
 * - with a cluster CIDR: traffic from outside the pod network (the node itself, other hosts).
 * - without one: node-originated traffic. Its source is the ClusterIP itself (kube-ipvs0 holds it,
 *   so the kernel picks it), which `src,dst` matches.
 */
function masqueradeRule(config: FamilyConfig, match: string[]): string[] {
  if (config.masqueradeAll) return [...match, 'dst,dst', '-j', Chain.MARK_MASQ];
  if (config.clusterCIDR !== undefined) return ['!', '-s', config.clusterCIDR, ...match, 'dst,dst', '-j', Chain.MARK_MASQ];
  return [...match, 'src,dst', '-j', Chain.MARK_MASQ];
}

function postroutingRules(config: FamilyConfig): string[][] {
  const mark = masqueradeMark(config);
  return [
    ['-m', 'comment', '--comment', setComment(SetName.LOOP_BACK), '-m', 'set', '--match-set', familySetName(SetName.LOOP_BACK, config.family), 'dst,dst,src', '-j', 'MASQUERADE'],
    ['-m', 'mark', '!', '--mark', `${mark}/${mark}`, '-j', 'RETURN'],
    // Clear the bit so a packet that is re-routed is not masqueraded twice.
    ['-j', 'MARK', '--set-xmark', `${mark}/0x0`],
    ['-m', 'comment', '--comment', 'kubernetes service traffic requiring SNAT', '-j', 'MASQUERADE', '--random-fully'],
  ];
}

function forwardRules(config: FamilyConfig): string[][] {
  const mark = masqueradeMark(config);
  return [
    ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-m', 'mark', '--mark', `${mark}/${mark}`, '-j', 'ACCEPT'],
    ['-m', 'comment', '--comment', 'kubernetes forwarding conntrack rule', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  ];
}

/** Issue 72236: without this, host services answer on every port of every ClusterIP. */
function ipvsFilterRules(config: FamilyConfig): string[][] {
  const reject = config.family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  return [
    ['-m', 'set', '--match-set', familySetName(SetName.CLUSTER_IP, config.family), 'dst,dst', '-j', 'RETURN'],
    ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'set', '--match-set', familySetName(SetName.IPVS_IPS, config.family), 'dst', '-j', 'REJECT', '--reject-with', reject],
  ];
}
