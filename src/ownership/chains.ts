/**
 * Which iptables chains are ours, by exact name and table (the same name can be ours in one table
 * and foreign in another). Identical in iptables and ip6tables.
 *
 * - `ours`: the chains desired/iptables-rules.ts writes; a full sync rewrites them whole.
 * - `adopted`: chains upstream kube-proxy leaves on a node we take over, in IPVS mode
 *   (pkg/proxy/ipvs/proxier.go iptablesChains) and in iptables mode (pkg/proxy/iptables/proxier.go:
 *   its fixed chains, its canary, and the per-service chains it names by hash). A full sync and
 *   `--cleanup` remove them.
 *
 * Deliberately NOT in either list, so never touched:
 * - `KUBE-FIREWALL` (filter): kubelet's, holding the DROP rule for martian localnet traffic
 *   (kubernetes #90259), jumped to from INPUT and OUTPUT. kube-proxy's iptables mode creates an
 *   identical copy and, like us, never deletes it.
 * - `KUBE-KUBELET-CANARY` (mangle, nat, filter) and `KUBE-IPTABLES-HINT` (mangle): kubelet's.
 * - `KUBE-MARK-DROP` (nat): kubelet created it up to 1.27 (KEP-3178; feature gate
 *   IPTablesOwnershipCleanup, on by default from 1.27, locked from 1.28) and its KUBE-FIREWALL rule
 *   "kubernetes firewall for dropping marked packets" drops what it marks. A node may still run
 *   such a kubelet, and kube-proxy only ever used the chain, it never owned it (its cleanup never
 *   deletes it). We never use it, so leaving it costs nothing.
 * - kube-router's `KUBE-ROUTER-*`, `KUBE-POD-FW-*`, `KUBE-NWPLCY-*`; Calico's `cali-*`; anything else.
 */
import type { Table } from '../kernel/iptables/types.ts';
import { Chain } from '../desired/names.ts';
import type { Owner } from './sets.ts';

/** Chain names of upstream's iptables mode that its IPVS mode does not share. */
export const IptablesModeChain = {
  NODE_PORTS: 'KUBE-NODEPORTS',
  EXTERNAL_SERVICES: 'KUBE-EXTERNAL-SERVICES',
  PROXY_CANARY: 'KUBE-PROXY-CANARY',
} as const;

type ChainTable = Readonly<Record<Table, readonly string[]>>;

/** Every chain of upstream's IPVS mode is ours now (desired/iptables-rules.ts writes them all). */
const OURS: ChainTable = {
  nat: [Chain.SERVICES, Chain.POSTROUTING, Chain.MARK_MASQ, Chain.NODE_PORT, Chain.LOAD_BALANCER],
  filter: [
    Chain.FORWARD, Chain.NODE_PORT, Chain.PROXY_FIREWALL, Chain.SOURCE_RANGES_FIREWALL, Chain.IPVS_FILTER, Chain.IPVS_OUT_FILTER,
  ],
  mangle: [],
  raw: [],
};

const ADOPTED: ChainTable = {
  nat: [IptablesModeChain.NODE_PORTS, IptablesModeChain.PROXY_CANARY], // iptables mode
  filter: [
    // iptables mode (which also has a KUBE-PROXY-FIREWALL here, ours now and rewritten whole, and a second KUBE-SERVICES)
    Chain.SERVICES, IptablesModeChain.EXTERNAL_SERVICES, IptablesModeChain.NODE_PORTS, IptablesModeChain.PROXY_CANARY,
  ],
  mangle: [IptablesModeChain.PROXY_CANARY],
  raw: [],
};

/**
 * iptables mode's per-service-port and per-endpoint chains: a prefix plus the first 16 characters
 * of base32(sha256(…)), alphabet A-Z 2-7 (portProtoHash). KUBE-XLB- is the pre-1.24 name of the
 * local-traffic chain (now KUBE-SVL-/KUBE-EXT-). All live in nat.
 */
const HASHED_NAT_CHAIN = /^KUBE-(?:SVC|SVL|EXT|FW|SEP|XLB)-[A-Z2-7]{16}$/;

export function chainOwner(table: Table, name: string): Owner | undefined {
  if (OURS[table].includes(name)) return 'ours';
  if (ADOPTED[table].includes(name)) return 'adopted';
  if (table === 'nat' && HASHED_NAT_CHAIN.test(name)) return 'adopted';
  return undefined;
}
