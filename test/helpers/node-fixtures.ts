/**
 * What a real node holds besides ipvs-proxier, as data that both the fake kernel and the sandbox
 * kernel are loaded with (iptables-restore --noflush text, ipset specs and members):
 *
 * - kubelet: KUBE-FIREWALL with its DROP rules, hooked from INPUT and OUTPUT; KUBE-KUBELET-CANARY;
 *   KUBE-IPTABLES-HINT; and, as kubelets up to 1.27 made it, KUBE-MARK-DROP;
 * - kube-router's network policy chains and its ipsets (KUBE-SRC-/KUBE-DST- and kube-router-*);
 * - Calico's cali-* chains and sets;
 * - the full leftover state of a dual-stack node that ran upstream kube-proxy in IPVS mode
 *   (pkg/proxy/ipvs/proxier.go writeIptablesRules and ipsetInfo: every set, with members, every
 *   chain, the rules that match the sets, the jumps from the built-in chains), and some
 *   leftovers of its iptables mode (per-service chains, canaries, filter chains and their jumps).
 *
 * FOREIGN lists what must come through a sync and `--cleanup` byte-identical.
 */
import { createFakeKernel, type FakeKernel } from '../../src/kernel/fake-kernel.ts';
import { IpsetTransaction } from '../../src/kernel/ipset/transaction.ts';
import type { SetType } from '../../src/kernel/ipset/types.ts';
import { renderArgs } from '../../src/kernel/iptables/text.ts';
import type { IptablesFamily } from '../../src/kernel/iptables/types.ts';
import type { VirtualServer, VirtualServerKey } from '../../src/kernel/ipvs/types.ts';
import { FakeLinks } from '../../src/kernel/link/fake.ts';
import type { Protocol } from '../../src/validate/validate.ts';

export interface FixtureSet {
  readonly name: string;
  readonly type: SetType;
  readonly family: IptablesFamily;
  readonly members: readonly string[];
}

export interface NodeFixture {
  readonly sets: readonly FixtureSet[];
  /** iptables-restore --noflush input per family (sets must exist first). */
  readonly iptables: Readonly<Record<IptablesFamily, string>>;
}

const KUBE_ROUTER_HASH = '4IA2OSFRMVNDXBVV';
const KUBE_ROUTER_SRC = 'KUBE-SRC-3CZQ4UJXR5E3HF2I';
const KUBE_ROUTER_DST = 'KUBE-DST-VBH27M7NWLDOZIE4';

/** Foreign chains and sets: never touched. */
export const FOREIGN = {
  chains: [
    'KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-MARK-DROP',
    'KUBE-ROUTER-INPUT', 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-OUTPUT', `KUBE-POD-FW-${KUBE_ROUTER_HASH}`, `KUBE-NWPLCY-${KUBE_ROUTER_HASH}`,
    'cali-INPUT', 'cali-FORWARD', 'cali-OUTPUT', 'cali-PREROUTING', 'cali-POSTROUTING', 'cali-nat-outgoing',
  ],
  sets: [KUBE_ROUTER_SRC, KUBE_ROUTER_DST, 'kube-router-pod-subnets', 'cali40masq-ipam-pools', 'cali40all-ipam-pools', 'cali60masq-ipam-pools', 'cali60all-ipam-pools'],
} as const;

function table(name: string, chains: readonly string[], rules: readonly string[]): string {
  return [`*${name}`, ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT', ''].join('\n');
}

// ---- kubelet ---------------------------------------------------------------------------------

function kubelet(family: IptablesFamily): string {
  const firewall = [
    '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
    // IPv4 only (kubernetes #90259).
    ...(family === 4 ? ['-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'] : []),
    '-I INPUT -j KUBE-FIREWALL',
    '-I OUTPUT -j KUBE-FIREWALL',
  ];
  return [
    table('mangle', ['KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY'], []),
    table('nat', ['KUBE-KUBELET-CANARY', 'KUBE-MARK-DROP'], ['-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000']),
    table('filter', ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY'], firewall),
  ].join('');
}

// ---- kube-router (IPv4) ----------------------------------------------------------------------

function kubeRouter(): string {
  const podFw = `KUBE-POD-FW-${KUBE_ROUTER_HASH}`;
  const policy = `KUBE-NWPLCY-${KUBE_ROUTER_HASH}`;
  const netpol = `"kube-router netpol - ${KUBE_ROUTER_HASH}"`;
  return table('filter', ['KUBE-ROUTER-INPUT', 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-OUTPUT', podFw, policy], [
    `-I INPUT -m comment --comment ${netpol} -j KUBE-ROUTER-INPUT`,
    `-I FORWARD -m comment --comment ${netpol} -j KUBE-ROUTER-FORWARD`,
    `-I OUTPUT -m comment --comment ${netpol} -j KUBE-ROUTER-OUTPUT`,
    `-A KUBE-ROUTER-FORWARD -d 10.244.0.5/32 -m comment --comment "rule to jump traffic destined to POD name:web-0 namespace: default to chain ${podFw}" -j ${podFw}`,
    `-A ${podFw} -m comment --comment "run through nw policy allow-web" -j ${policy}`,
    `-A ${policy} -m set --match-set ${KUBE_ROUTER_SRC} src -m set --match-set ${KUBE_ROUTER_DST} dst -j MARK --set-xmark 0x10000/0x10000`,
    `-A KUBE-ROUTER-INPUT -m set --match-set kube-router-pod-subnets src -j RETURN`,
  ]);
}

// ---- Calico ----------------------------------------------------------------------------------

function calico(family: IptablesFamily): string {
  const v = family === 4 ? '4' : '6';
  return [
    table('mangle', ['cali-PREROUTING'], ['-I PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING']),
    table('nat', ['cali-PREROUTING', 'cali-POSTROUTING', 'cali-nat-outgoing'], [
      '-I PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING',
      '-I POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
      '-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-nat-outgoing',
      `-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali${v}0masq-ipam-pools src -m set ! --match-set cali${v}0all-ipam-pools dst -j MASQUERADE --random-fully`,
    ]),
    table('filter', ['cali-INPUT', 'cali-FORWARD', 'cali-OUTPUT'], [
      '-I INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT',
      '-I FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
      '-I OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT',
      '-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -m mark --mark 0x10000/0x10000 -j ACCEPT',
    ]),
  ].join('');
}

// ---- upstream kube-proxy, IPVS mode ----------------------------------------------------------

interface UpstreamAddresses {
  readonly set: (base: string) => string;
  readonly loopback: string;
  readonly clusterCIDR: string;
  readonly reject: string;
}

const V4: UpstreamAddresses = { set: (b) => b, loopback: '127.0.0.0/8', clusterCIDR: '10.244.0.0/16', reject: 'icmp-port-unreachable' };
const V6: UpstreamAddresses = { set: (b) => `KUBE-6-${b.slice('KUBE-'.length)}`.slice(0, 31), loopback: '::1/128', clusterCIDR: 'fd00:244::/64', reject: 'icmp6-port-unreachable' };

function comment(text: string): string {
  return `-m comment --comment "${text}"`;
}

function upstreamIpvs(a: UpstreamAddresses): string {
  const s = a.set;
  const nat = table('nat', ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'], [
    `-A KUBE-SERVICES -s ${a.loopback} -j RETURN`,
    `-A KUBE-POSTROUTING ${comment('Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose')} -m set --match-set ${s('KUBE-LOOP-BACK')} dst,dst,src -j MASQUERADE`,
    `-A KUBE-SERVICES ${comment('Kubernetes service lb portal')} -m set --match-set ${s('KUBE-LOAD-BALANCER')} dst,dst -j KUBE-LOAD-BALANCER`,
    `-A KUBE-LOAD-BALANCER ${comment('Kubernetes service load balancer ip + port with externalTrafficPolicy=local')} -m set --match-set ${s('KUBE-LOAD-BALANCER-LOCAL')} dst,dst -j RETURN`,
    `-A KUBE-NODE-PORT -p tcp ${comment('Kubernetes nodeport TCP port with externalTrafficPolicy=local')} -m set --match-set ${s('KUBE-NODE-PORT-LOCAL-TCP')} dst -j RETURN`,
    `-A KUBE-NODE-PORT -p tcp ${comment('Kubernetes nodeport TCP port for masquerade purpose')} -m set --match-set ${s('KUBE-NODE-PORT-TCP')} dst -j KUBE-MARK-MASQ`,
    `-A KUBE-SERVICES ! -s ${a.clusterCIDR} ${comment('Kubernetes service cluster ip + port for masquerade purpose')} -m set --match-set ${s('KUBE-CLUSTER-IP')} dst,dst -j KUBE-MARK-MASQ`,
    `-A KUBE-SERVICES ${comment('Kubernetes service external ip + port for masquerade and filter purpose')} -m set --match-set ${s('KUBE-EXTERNAL-IP')} dst,dst -j KUBE-MARK-MASQ`,
    `-A KUBE-SERVICES ${comment('Kubernetes service external ip + port for masquerade and filter purpose')} -m set --match-set ${s('KUBE-EXTERNAL-IP')} dst,dst -m addrtype --dst-type LOCAL -j ACCEPT`,
    '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT',
    '-A KUBE-LOAD-BALANCER -j KUBE-MARK-MASQ',
    `-A KUBE-SERVICES -m set --match-set ${s('KUBE-CLUSTER-IP')} dst,dst -j ACCEPT`,
    `-A KUBE-SERVICES -m set --match-set ${s('KUBE-LOAD-BALANCER')} dst,dst -j ACCEPT`,
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    `-A KUBE-POSTROUTING ${comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE --random-fully`,
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    `-I OUTPUT ${comment('kubernetes service portals')} -j KUBE-SERVICES`,
    `-I PREROUTING ${comment('kubernetes service portals')} -j KUBE-SERVICES`,
    `-I POSTROUTING ${comment('kubernetes postrouting rules')} -j KUBE-POSTROUTING`,
  ]);
  const filter = table('filter', ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'], [
    `-A KUBE-PROXY-FIREWALL ${comment('Kubernetes service load balancer ip + port for load balancer with sourceRange')} -m set --match-set ${s('KUBE-LOAD-BALANCER-FW')} dst,dst -j KUBE-SOURCE-RANGES-FIREWALL`,
    `-A KUBE-SOURCE-RANGES-FIREWALL ${comment('Kubernetes service load balancer ip + port + source cidr for packet filter purpose')} -m set --match-set ${s('KUBE-LOAD-BALANCER-SOURCE-CIDR')} dst,dst,src -j RETURN`,
    `-A KUBE-SOURCE-RANGES-FIREWALL ${comment('Kubernetes service load balancer ip + port + source IP for packet filter purpose')} -m set --match-set ${s('KUBE-LOAD-BALANCER-SOURCE-IP')} dst,dst,src -j RETURN`,
    '-A KUBE-SOURCE-RANGES-FIREWALL -j DROP',
    `-A KUBE-FORWARD ${comment('kubernetes forwarding rules')} -m mark --mark 0x4000/0x4000 -j ACCEPT`,
    `-A KUBE-FORWARD ${comment('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-A KUBE-NODE-PORT ${comment('Kubernetes health check node port')} -m set --match-set ${s('KUBE-HEALTH-CHECK-NODE-PORT')} dst -j ACCEPT`,
    ...['KUBE-LOAD-BALANCER', 'KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-EXTERNAL-IP-LOCAL'].map((set) => `-A KUBE-IPVS-FILTER -m set --match-set ${s(set)} dst,dst -j RETURN`),
    `-A KUBE-IPVS-FILTER -m set --match-set ${s('KUBE-HEALTH-CHECK-NODE-PORT')} dst -j RETURN`,
    `-A KUBE-IPVS-FILTER -m conntrack --ctstate NEW -m set --match-set ${s('KUBE-IPVS-IPS')} dst -j REJECT --reject-with ${a.reject}`,
    `-A KUBE-IPVS-OUT-FILTER -m set --match-set ${s('KUBE-LOAD-BALANCER-FW')} dst,dst -j DROP`,
    `-I FORWARD ${comment('kubernetes forwarding rules')} -j KUBE-FORWARD`,
    `-I INPUT ${comment('kubernetes health check rules')} -j KUBE-NODE-PORT`,
    `-I INPUT ${comment('kube-proxy firewall rules')} -j KUBE-PROXY-FIREWALL`,
    `-I FORWARD ${comment('kube-proxy firewall rules')} -j KUBE-PROXY-FIREWALL`,
    `-I INPUT ${comment('kubernetes ipvs access filter')} -j KUBE-IPVS-FILTER`,
    `-I OUTPUT ${comment('kubernetes ipvs access filter')} -j KUBE-IPVS-OUT-FILTER`,
  ]);
  return nat + filter;
}

// ---- upstream kube-proxy, iptables mode (IPv4) -----------------------------------------------

const SVC = 'KUBE-SVC-ERIFXISQEP7F7OF4';
const SEP = 'KUBE-SEP-IT2ZTR26TO4XFPTO';
const NEW = '-m conntrack --ctstate NEW';

function upstreamIptablesMode(): string {
  return [
    table('mangle', ['KUBE-PROXY-CANARY'], []),
    table('nat', ['KUBE-NODEPORTS', 'KUBE-PROXY-CANARY', SVC, SEP, 'KUBE-EXT-ERIFXISQEP7F7OF4'], [
      `-A KUBE-SERVICES -d 10.96.0.53/32 -p udp ${comment('kube-system/kube-dns:dns cluster IP')} -m udp --dport 53 -j ${SVC}`,
      `-A KUBE-SERVICES ${comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
      `-A ${SVC} ${comment('kube-system/kube-dns:dns -> 10.244.0.3:53')} -j ${SEP}`,
      `-A ${SEP} -s 10.244.0.3/32 ${comment('kube-system/kube-dns:dns')} -j KUBE-MARK-MASQ`,
      `-A ${SEP} -p udp ${comment('kube-system/kube-dns:dns')} -m udp -j DNAT --to-destination 10.244.0.3:53`,
      `-A KUBE-NODEPORTS -p udp ${comment('kube-system/kube-dns:dns')} -m udp --dport 30053 -j KUBE-EXT-ERIFXISQEP7F7OF4`,
      `-A KUBE-EXT-ERIFXISQEP7F7OF4 -j ${SVC}`,
    ]),
    table('filter', ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-CANARY'], [
      `-A KUBE-SERVICES -d 10.96.0.99/32 -p tcp ${comment('default/empty has no endpoints')} -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable`,
      `-I INPUT ${NEW} ${comment('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`,
      `-I FORWARD ${NEW} ${comment('kubernetes externally-visible service portals')} -j KUBE-EXTERNAL-SERVICES`,
      `-I INPUT ${comment('kubernetes health check service ports')} -j KUBE-NODEPORTS`,
      `-I FORWARD ${NEW} ${comment('kubernetes service portals')} -j KUBE-SERVICES`,
      `-I OUTPUT ${NEW} ${comment('kubernetes service portals')} -j KUBE-SERVICES`,
      `-I INPUT ${NEW} ${comment('kubernetes load balancer firewall')} -j KUBE-PROXY-FIREWALL`,
    ]),
  ].join('');
}

// ---- node IPs and their virtual servers ------------------------------------------------------

/** The node's own IPs: on eth0 in the fake kernel, on a dummy link in the sandbox. */
export const NODE_IP = { 4: '192.168.1.20', 6: 'fd00:1::20' } as const;
export const NODE_IP_PREFIX = { 4: 24, 6: 64 } as const;

export type AddressKey = Extract<VirtualServerKey, { kind: 'address' }>;

const nodeVs = (family: IptablesFamily, protocol: Protocol, port: number, address: string = NODE_IP[family]): AddressKey => (
  { kind: 'address', family, protocol, address, port }
);

/**
 * Virtual servers on node IPs. `upstream`: NodePort servers upstream's IPVS mode left, one per
 * member of its NodePort sets above (TCP 30080 and, Local, 30081; UDP 30053; SCTP 30082 through
 * the hash:ip,port set). `foreign`: what a node-IP claim must leave alone: a port in no set
 * (keepalived's or an operator's), a TCP node port under another protocol (UDP; SCTP, whose
 * evidence is the hash set, not the TCP bitmap), and a node port on an address that is no node IP.
 */
export function nodeIpVirtualServers(family: IptablesFamily): { readonly upstream: AddressKey[]; readonly foreign: AddressKey[] } {
  return {
    upstream: [nodeVs(family, 'TCP', 30080), nodeVs(family, 'TCP', 30081), nodeVs(family, 'UDP', 30053), nodeVs(family, 'SCTP', 30082)],
    foreign: [
      nodeVs(family, 'TCP', 8443), nodeVs(family, 'UDP', 30080), nodeVs(family, 'SCTP', 30080),
      nodeVs(family, 'TCP', 30080, family === 4 ? '192.0.2.60' : '2001:db8::60'),
    ],
  };
}

// ---- sets ------------------------------------------------------------------------------------

function upstreamSets(a: UpstreamAddresses, family: IptablesFamily): FixtureSet[] {
  const ip = (v4: string, v6: string): string => (family === 4 ? v4 : v6);
  const node = NODE_IP[family];
  const vip = ip('10.96.100.1', 'fd00:96::100');
  const pod = ip('10.244.0.5', 'fd00:244::5');
  const lb = ip('192.0.2.100', '2001:db8::100');
  const set = (base: string, type: SetType, members: string[] = []): FixtureSet => ({ name: a.set(base), type, family, members });
  return [
    set('KUBE-LOOP-BACK', 'hash:ip,port,ip', [`${pod},tcp:8080,${pod}`]),
    set('KUBE-CLUSTER-IP', 'hash:ip,port', [`${vip},tcp:80`]),
    set('KUBE-EXTERNAL-IP', 'hash:ip,port', [`${ip('198.51.100.7', '2001:db8::7')},tcp:80`]),
    set('KUBE-EXTERNAL-IP-LOCAL', 'hash:ip,port'),
    set('KUBE-LOAD-BALANCER', 'hash:ip,port', [`${lb},tcp:80`]),
    set('KUBE-LOAD-BALANCER-LOCAL', 'hash:ip,port', [`${lb},tcp:80`]),
    set('KUBE-LOAD-BALANCER-FW', 'hash:ip,port', [`${lb},tcp:80`]),
    set('KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net', [`${lb},tcp:80,${ip('203.0.113.0/24', '2001:db8:1::/64')}`]),
    set('KUBE-LOAD-BALANCER-SOURCE-IP', 'hash:ip,port,ip'),
    set('KUBE-NODE-PORT-TCP', 'bitmap:port', ['30080']),
    set('KUBE-NODE-PORT-LOCAL-TCP', 'bitmap:port', ['30081']),
    set('KUBE-NODE-PORT-UDP', 'bitmap:port', ['30053']),
    set('KUBE-NODE-PORT-LOCAL-UDP', 'bitmap:port'),
    // One `nodeIP,sctp:port` member per node IP, as upstream adds them.
    set('KUBE-NODE-PORT-SCTP-HASH', 'hash:ip,port', [`${node},sctp:30082`]),
    set('KUBE-NODE-PORT-LOCAL-SCTP-HASH', 'hash:ip,port'),
    set('KUBE-HEALTH-CHECK-NODE-PORT', 'bitmap:port', ['32000']),
    set('KUBE-IPVS-IPS', 'hash:ip', [vip, lb]),
  ];
}

function foreignSets(): FixtureSet[] {
  return [
    { name: KUBE_ROUTER_SRC, type: 'hash:ip', family: 4, members: ['10.244.0.7'] },
    { name: KUBE_ROUTER_DST, type: 'hash:ip', family: 4, members: ['10.244.0.5'] },
    { name: 'kube-router-pod-subnets', type: 'hash:net', family: 4, members: ['10.244.0.0/16'] },
    { name: 'cali40masq-ipam-pools', type: 'hash:net', family: 4, members: ['10.244.0.0/16'] },
    { name: 'cali40all-ipam-pools', type: 'hash:net', family: 4, members: ['10.244.0.0/16'] },
    { name: 'cali60masq-ipam-pools', type: 'hash:net', family: 6, members: ['fd00:244::/64'] },
    { name: 'cali60all-ipam-pools', type: 'hash:net', family: 6, members: ['fd00:244::/64'] },
  ];
}

/** kubelet, kube-router and Calico only. */
export function foreignNode(): NodeFixture {
  return { sets: foreignSets(), iptables: { 4: kubelet(4) + kubeRouter() + calico(4), 6: kubelet(6) + calico(6) } };
}

/**
 * A dual-stack node that ran upstream kube-proxy in IPVS mode (and iptables mode before that),
 * with kubelet, kube-router and Calico beside it. Foreign objects are installed first, so the
 * jumps upstream prepends come before theirs, as on a node where kube-proxy started last.
 */
export function upstreamNode(): NodeFixture {
  const foreign = foreignNode();
  return {
    sets: [...foreign.sets, ...upstreamSets(V4, 4), ...upstreamSets(V6, 6)],
    iptables: { 4: foreign.iptables[4] + upstreamIpvs(V4) + upstreamIptablesMode(), 6: foreign.iptables[6] + upstreamIpvs(V6) },
  };
}

/** The fixture's sets as one `ipset restore`: creates, then members. */
export function setsTransaction(sets: readonly FixtureSet[]): IpsetTransaction {
  const tx = new IpsetTransaction();
  for (const { name, type, family } of sets) tx.create({ name, type, family });
  for (const { name, members } of sets) for (const member of members) tx.add(name, member);
  return tx;
}

/** Loads a fixture into the fake kernel the way the sandbox test loads it into the real one. */
export async function loadIntoFake(kernel: FakeKernel, fixture: NodeFixture): Promise<void> {
  await kernel.ipsetState.apply(setsTransaction(fixture.sets));
  for (const family of [4, 6] as const) kernel.iptables.applyRestoreText(family, fixture.iptables[family]);
}

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const foreignChain = (name: string): boolean => (FOREIGN.chains as readonly string[]).includes(name);

/**
 * The foreign part of an `iptables-save`, line for line: foreign chains with their rules, and the
 * rules of built-in chains that jump to a foreign chain or to no KUBE- chain at all. Counters
 * (which move on a live node) are zeroed; nothing else is rewritten.
 */
export function foreignIptablesLines(save: string): string[] {
  return save.split('\n').filter((line) => {
    if (line.startsWith('*') || line === 'COMMIT') return true;
    const chainLine = /^:(\S+) (\S+)/.exec(line);
    if (chainLine !== null) return chainLine[2] !== '-' || foreignChain(chainLine[1] ?? '');
    const rule = /^-A (\S+) .*?(?:-j|-g) (\S+)/.exec(line) ?? /^-A (\S+) /.exec(line);
    if (rule === null) return false;
    const [, chain = '', target = ''] = rule;
    if (foreignChain(chain)) return true;
    return BUILTIN.has(chain) && (foreignChain(target) || !target.startsWith('KUBE-'));
  }).map((line) => line.replace(/\[\d+:\d+\]$/, '[0:0]'));
}

/** The foreign part of an `ipset save`: every line about a foreign set. */
export function foreignSetLines(save: string): string[] {
  return save.split('\n').filter((line) => (FOREIGN.sets as readonly string[]).includes(line.split(' ')[1] ?? ''));
}

/** The fake kernel's iptables as iptables-save would print them (rules as stored). */
export async function fakeSave(kernel: FakeKernel, family: IptablesFamily): Promise<string> {
  const lines: string[] = [];
  for (const [name, state] of (await kernel.iptables.save(family)).tables) {
    lines.push(`*${name}`);
    for (const chain of state.chains.values()) lines.push(`:${chain.name} ${chain.policy ?? '-'} [0:0]`);
    for (const chain of state.chains.values()) for (const rule of chain.rules) lines.push(`-A ${chain.name} ${renderArgs(rule)}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}

/** The fake kernel's ipsets as ipset save would print them (members only; headers are not compared). */
export async function fakeIpsetSave(kernel: FakeKernel): Promise<string> {
  const lines = (await kernel.ipset.list()).flatMap((s) => [`create ${s.name} ${s.type}`, ...s.members.map((m) => `add ${s.name} ${m}`)]);
  return `${lines.join('\n')}\n`;
}

function virtualServer(address: string, scheduler = 'rr'): VirtualServer {
  const family = address.includes(':') ? 6 : 4;
  return serverOf({ kind: 'address', family, protocol: 'TCP', address, port: 80 }, scheduler);
}

function serverOf(key: AddressKey, scheduler = 'rr'): VirtualServer {
  return { key, scheduler, flags: 0, timeout: 0, netmask: key.family === 4 ? 0xffffffff : 128 };
}

/** lo, and eth0 holding the node IPs. */
function nodeLinks(): FakeLinks {
  return new FakeLinks([
    { name: 'lo', up: true, addresses: [{ family: 4, address: '127.0.0.1', prefixLength: 8, scope: 254 /* host */ }, { family: 6, address: '::1', prefixLength: 128 }] },
    { name: 'eth0', up: true, addresses: ([4, 6] as const).map((family) => ({ family, address: NODE_IP[family], prefixLength: NODE_IP_PREFIX[family] })) },
  ]);
}

/**
 * A fake kernel holding upstreamNode(), plus what upstream's IPVS mode had in IPVS: kube-ipvs0 with
 * its ClusterIPs and their virtual servers, and its NodePort virtual servers on the node IPs (on
 * eth0); and foreign virtual servers: 192.0.2.50:80 (wlc) and nodeIpVirtualServers' foreign ones.
 */
export async function upstreamFakeKernel(): Promise<FakeKernel> {
  const kernel: FakeKernel = { ...createFakeKernel(), links: nodeLinks() };
  await loadIntoFake(kernel, upstreamNode());
  const nodeIpServers = ([4, 6] as const).flatMap((family) => Object.values(nodeIpVirtualServers(family)).flat());
  await kernel.ipvs.apply(nodeIpServers.map((key) => ({ op: 'addService', service: serverOf(key) })));
  await kernel.links.ensureDummy('kube-ipvs0');
  const bound = [{ family: 4 as const, address: '10.96.100.1', prefixLength: 32 }, { family: 6 as const, address: 'fd00:96::100', prefixLength: 128 }];
  await kernel.links.changeAddresses('kube-ipvs0', { add: bound, delete: [] });
  const rs = { family: 4 as const, address: '10.244.0.5', port: 8080, forward: 'masq' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
  await kernel.ipvs.apply([
    { op: 'addService', service: virtualServer('10.96.100.1') }, { op: 'addDestination', service: virtualServer('10.96.100.1').key, destination: rs },
    { op: 'addService', service: virtualServer('fd00:96::100') }, { op: 'addService', service: virtualServer('192.0.2.50', 'wlc') },
  ]);
  return kernel;
}

/** Every foreign line of both families' iptables and of the ipsets, for byte-for-byte comparisons. */
export async function foreignState(kernel: FakeKernel): Promise<string[]> {
  return [...foreignIptablesLines(await fakeSave(kernel, 4)), ...foreignIptablesLines(await fakeSave(kernel, 6)), ...foreignSetLines(await fakeIpsetSave(kernel))];
}
