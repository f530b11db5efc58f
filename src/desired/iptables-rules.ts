/**
 * The fixed iptables structure, as data (the nftables proxier's way): our chains per table, their
 * rules, and the jumps from the built-in chains, with upstream IPVS mode's names and rule order
 * (pkg/proxy/ipvs/proxier.go writeIptablesRules, ipsetWithIptablesChain). Service membership lives
 * in ipsets, so the rules depend only on configuration, with one exception: KUBE-IPVS-OUT-FILTER
 * holds one rule per load-balancer port that refuses the node (see outFilterRules).
 *
 * Upstream writes a set's rule only while the set has members; ours are always there (a rule
 * matching an empty set matches nothing), so a service change never rewrites a chain.
 *
 * Rules are spelled exactly as `iptables-save` prints them (e.g. `MARK --or-mark 0x4000` is saved as
 * `--set-xmark 0x4000/0x4000`), so drift detection is a plain comparison with a fresh save.
 */
import type { JumpRule, Table } from '../kernel/iptables/types.ts';
import type { Protocol } from '../validate/validate.ts';
import type { FamilyConfig } from './config.ts';
import { masqueradeMark } from './config.ts';
import { Chain, SetName, familySetName, type BaseSetName } from './names.ts';
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

/** A load-balancer IP and port whose source ranges leave the node out (upstream issue 119656). */
export interface NodeRefusedPort {
  readonly address: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export const JUMPS: readonly JumpRule[] = [
  { table: 'nat', chain: 'PREROUTING', target: Chain.SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'OUTPUT', target: Chain.SERVICES, comment: 'kubernetes service portals' },
  { table: 'nat', chain: 'POSTROUTING', target: Chain.POSTROUTING, comment: 'kubernetes postrouting rules' },
  { table: 'filter', chain: 'FORWARD', target: Chain.FORWARD, comment: 'kubernetes forwarding rules' },
  { table: 'filter', chain: 'INPUT', target: Chain.NODE_PORT, comment: 'kubernetes health check rules' },
  { table: 'filter', chain: 'INPUT', target: Chain.PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', chain: 'FORWARD', target: Chain.PROXY_FIREWALL, comment: 'kube-proxy firewall rules' },
  { table: 'filter', chain: 'INPUT', target: Chain.IPVS_FILTER, comment: 'kubernetes ipvs access filter' },
  { table: 'filter', chain: 'OUTPUT', target: Chain.IPVS_OUT_FILTER, comment: 'kubernetes ipvs access filter' },
];

export function desiredIptables(config: FamilyConfig, nodeRefused: readonly NodeRefusedPort[] = []): DesiredIptables {
  return {
    chains: [
      { table: 'nat', name: Chain.SERVICES, rules: servicesRules(config) },
      { table: 'nat', name: Chain.POSTROUTING, rules: postroutingRules(config) },
      { table: 'nat', name: Chain.MARK_MASQ, rules: [['-j', 'MARK', '--set-xmark', `${masqueradeMark(config)}/${masqueradeMark(config)}`]] },
      { table: 'nat', name: Chain.NODE_PORT, rules: nodePortRules(config) },
      { table: 'nat', name: Chain.LOAD_BALANCER, rules: loadBalancerRules(config) },
      { table: 'filter', name: Chain.FORWARD, rules: forwardRules(config) },
      { table: 'filter', name: Chain.NODE_PORT, rules: [[...matchSet(config, SetName.HEALTH_CHECK_NODE_PORT, 'dst'), '-j', 'ACCEPT']] },
      { table: 'filter', name: Chain.PROXY_FIREWALL, rules: [[...matchSet(config, SetName.LOAD_BALANCER_FW, 'dst,dst'), '-j', Chain.SOURCE_RANGES_FIREWALL]] },
      { table: 'filter', name: Chain.SOURCE_RANGES_FIREWALL, rules: sourceRangesRules(config) },
      { table: 'filter', name: Chain.IPVS_FILTER, rules: ipvsFilterRules(config) },
      { table: 'filter', name: Chain.IPVS_OUT_FILTER, rules: outFilterRules(config, nodeRefused) },
    ],
    jumps: JUMPS,
  };
}

/** `-m comment --comment <the set's comment> -m set --match-set <set> <flags>`, as upstream writes set rules. */
function matchSet(config: FamilyConfig, base: BaseSetName, flags: string): string[] {
  return [...commentedSet(config, base), flags];
}

function commentedSet(config: FamilyConfig, base: BaseSetName): string[] {
  return ['-m', 'comment', '--comment', setComment(base), '-m', 'set', '--match-set', familySetName(base, config.family)];
}

function bareSet(config: FamilyConfig, base: BaseSetName, flags: string): string[] {
  return ['-m', 'set', '--match-set', familySetName(base, config.family), flags];
}

function servicesRules(config: FamilyConfig): string[][] {
  const loopback = config.family === 4 ? '127.0.0.0/8' : '::1/128';
  return [
    // Host-local clients of a service keep their source (upstream does the same).
    ['-s', loopback, '-j', 'RETURN'],
    [...matchSet(config, SetName.LOAD_BALANCER, 'dst,dst'), '-j', Chain.LOAD_BALANCER],
    masqueradeRule(config, commentedSet(config, SetName.CLUSTER_IP)),
    [...matchSet(config, SetName.EXTERNAL_IP, 'dst,dst'), '-j', Chain.MARK_MASQ],
    ...externalIPAccept(matchSet(config, SetName.EXTERNAL_IP, 'dst,dst')),
    // Local policy: no masquerade, so the endpoint sees the client's address.
    ...externalIPAccept(matchSet(config, SetName.EXTERNAL_IP_LOCAL, 'dst,dst')),
    ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', Chain.NODE_PORT],
    // Accept service traffic in case a foreign rule would drop it before IPVS sees it.
    [...bareSet(config, SetName.CLUSTER_IP, 'dst,dst'), '-j', 'ACCEPT'],
    [...bareSet(config, SetName.LOAD_BALANCER, 'dst,dst'), '-j', 'ACCEPT'],
  ];
}

/**
 * Upstream's externalIPRules: accept traffic from off the machine (not bridged from a local pod,
 * not from a local address), and traffic to an externalIP that is a local address of the node
 * (GCE puts load-balancer IPs in the local routing table).
 */
function externalIPAccept(match: string[]): string[][] {
  return [
    [...match, '-m', 'physdev', '!', '--physdev-is-in', '-m', 'addrtype', '!', '--src-type', 'LOCAL', '-j', 'ACCEPT'],
    [...match, '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'ACCEPT'],
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

/** Local policy's sets RETURN before the masquerade rule of the same protocol (ipsetWithIptablesChain order). */
function nodePortRules(config: FamilyConfig): string[][] {
  const rows: readonly [string, BaseSetName, BaseSetName, string][] = [
    ['tcp', SetName.NODE_PORT_LOCAL_TCP, SetName.NODE_PORT_TCP, 'dst'],
    ['udp', SetName.NODE_PORT_LOCAL_UDP, SetName.NODE_PORT_UDP, 'dst'],
    // SCTP node ports live in a hash:ip,port set (bitmap:port cannot tell SCTP apart): dst,dst.
    ['sctp', SetName.NODE_PORT_LOCAL_SCTP_HASH, SetName.NODE_PORT_SCTP_HASH, 'dst,dst'],
  ];
  return rows.flatMap(([protocol, local, cluster, flags]) => [
    ['-p', protocol, ...matchSet(config, local, flags), '-j', 'RETURN'],
    ['-p', protocol, ...matchSet(config, cluster, flags), '-j', Chain.MARK_MASQ],
  ]);
}

function loadBalancerRules(config: FamilyConfig): string[][] {
  return [
    [...matchSet(config, SetName.LOAD_BALANCER_LOCAL, 'dst,dst'), '-j', 'RETURN'],
    ['-j', Chain.MARK_MASQ],
  ];
}

function sourceRangesRules(config: FamilyConfig): string[][] {
  return [
    [...matchSet(config, SetName.LOAD_BALANCER_SOURCE_CIDR, 'dst,dst,src'), '-j', 'RETURN'],
    [...matchSet(config, SetName.LOAD_BALANCER_SOURCE_IP, 'dst,dst,src'), '-j', 'RETURN'],
    ['-j', 'DROP'],
  ];
}

function postroutingRules(config: FamilyConfig): string[][] {
  const mark = masqueradeMark(config);
  return [
    [...matchSet(config, SetName.LOOP_BACK, 'dst,dst,src'), '-j', 'MASQUERADE'],
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

/**
 * Issue 72236: without this, host services answer on every port of every address on kube-ipvs0.
 * Every service address set RETURNs first, or its own traffic would be rejected as a non-service port.
 */
function ipvsFilterRules(config: FamilyConfig): string[][] {
  const reject = config.family === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable';
  return [
    [...bareSet(config, SetName.LOAD_BALANCER, 'dst,dst'), '-j', 'RETURN'],
    [...bareSet(config, SetName.CLUSTER_IP, 'dst,dst'), '-j', 'RETURN'],
    [...bareSet(config, SetName.EXTERNAL_IP, 'dst,dst'), '-j', 'RETURN'],
    [...bareSet(config, SetName.EXTERNAL_IP_LOCAL, 'dst,dst'), '-j', 'RETURN'],
    [...bareSet(config, SetName.HEALTH_CHECK_NODE_PORT, 'dst'), '-j', 'RETURN'],
    ['-m', 'conntrack', '--ctstate', 'NEW', ...bareSet(config, SetName.IPVS_IPS, 'dst'), '-j', 'REJECT', '--reject-with', reject],
  ];
}

const PROTOCOL_NUMBER: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };

/**
 * Upstream issue 119656: the node's own connections to a load-balancer IP never pass INPUT or
 * FORWARD (IPVS takes them in LOCAL_OUT), so KUBE-PROXY-FIREWALL cannot see them. Where the source
 * ranges leave the node out, they are dropped in filter OUTPUT. IPVS has already rewritten the
 * destination to the endpoint by then (its LOCAL_OUT hook runs at priority -98, filter at 0), so
 * no ipset of service address:port can match there; the `ipvs` match (xt_ipvs) still knows the
 * virtual address and port, and upstream uses it the same way, one rule per port. The source is the
 * LB IP itself (bound on kube-ipvs0, the kernel picks it). Spelled as iptables-save prints it
 * (libxt_ipvs: vproto as a number, then vaddr with its mask, then vport).
 */
function outFilterRules(config: FamilyConfig, refused: readonly NodeRefusedPort[]): string[][] {
  const host = config.family === 4 ? 32 : 128;
  return [...refused].sort(compareRefused).map((r) => [
    '-s', `${r.address}/${host}`, '-m', 'ipvs', '--vproto', String(PROTOCOL_NUMBER[r.protocol]),
    '--vaddr', `${r.address}/${host}`, '--vport', String(r.port), '-j', 'DROP',
  ]);
}

function compareRefused(a: NodeRefusedPort, b: NodeRefusedPort): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return a.port - b.port;
}

/**
 * The load-balancer ports KUBE-IPVS-OUT-FILTER refuses the node: those with source ranges
 * (KUBE-LOAD-BALANCER-FW, `lbIP,proto:port`) and no node IP inside them (no -SOURCE-IP member
 * `lbIP,proto:port,lbIP`). Read from the desired set members, so the rules follow the services.
 */
export function nodeRefusedPorts(members: (set: string) => ReadonlySet<string>, family: FamilyConfig['family']): NodeRefusedPort[] {
  const allowed = members(familySetName(SetName.LOAD_BALANCER_SOURCE_IP, family));
  const out: NodeRefusedPort[] = [];
  for (const ipPort of members(familySetName(SetName.LOAD_BALANCER_FW, family))) {
    // `address,proto:port`: an IPv6 address has colons but never a comma.
    const match = /^([^,]+),(tcp|udp|sctp):([0-9]+)$/.exec(ipPort);
    if (match === null) continue;
    const [, address = '', protocol = '', port = ''] = match;
    if (!allowed.has(`${ipPort},${address}`)) out.push({ address, protocol: protocol.toUpperCase() as Protocol, port: Number(port) });
  }
  return out;
}

/** The sets whose members decide KUBE-IPVS-OUT-FILTER's rules. */
export function outFilterSets(family: FamilyConfig['family']): readonly string[] {
  return [familySetName(SetName.LOAD_BALANCER_FW, family), familySetName(SetName.LOAD_BALANCER_SOURCE_IP, family)];
}
