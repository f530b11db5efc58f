/**
 * Which rules in the built-in chains are ours: a rule is ours only when it is exactly one we (or
 * upstream kube-proxy, for the ones we adopt) write, compared argument by argument as iptables-save
 * prints it. Jumping to a chain of ours is not enough: a foreign rule such as
 * `-A PREROUTING -i eth1 -j KUBE-SERVICES` belongs to whoever wrote it.
 */
import { jumpArgs } from '../kernel/iptables/rule.ts';
import { sameArgs } from '../kernel/iptables/transaction.ts';
import type { Table } from '../kernel/iptables/types.ts';
import { JUMPS } from '../desired/iptables-rules.ts';
import { Chain } from '../desired/names.ts';
import { IptablesModeChain } from './chains.ts';
import type { Owner } from './sets.ts';

export interface OwnedJump {
  readonly table: Table;
  /** A built-in chain. */
  readonly chain: string;
  /** The rule's arguments after `-A CHAIN`, as iptables-save prints them. */
  readonly args: readonly string[];
}

const CTSTATE_NEW = ['-m', 'conntrack', '--ctstate', 'NEW'] as const;

/** Upstream's form: `[extra args] -m comment --comment COMMENT -j TARGET` (EnsureRule with the extra args first). */
function upstream(table: Table, chain: string, target: string, comment: string, extra: readonly string[] = []): OwnedJump {
  return { table, chain, args: [...extra, ...jumpArgs({ table, chain, target, comment })] };
}

const OURS: readonly OwnedJump[] = JUMPS.map((j) => ({ table: j.table, chain: j.chain, args: jumpArgs(j) }));

/** Upstream's jumps that are not also ours (every IPVS-mode jump, iptablesJumpChain, is identical to one of ours). */
const ADOPTED: readonly OwnedJump[] = [
  // iptables mode: iptablesJumpChains, plus the INPUT jump of 1.13-1.19 (iptablesCleanupOnlyChains).
  upstream('filter', 'INPUT', IptablesModeChain.EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', CTSTATE_NEW),
  upstream('filter', 'FORWARD', IptablesModeChain.EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', CTSTATE_NEW),
  upstream('filter', 'INPUT', IptablesModeChain.NODE_PORTS, 'kubernetes health check service ports'),
  upstream('filter', 'FORWARD', Chain.SERVICES, 'kubernetes service portals', CTSTATE_NEW),
  upstream('filter', 'OUTPUT', Chain.SERVICES, 'kubernetes service portals', CTSTATE_NEW),
  upstream('filter', 'INPUT', Chain.SERVICES, 'kubernetes service portals', CTSTATE_NEW),
  upstream('filter', 'INPUT', Chain.PROXY_FIREWALL, 'kubernetes load balancer firewall', CTSTATE_NEW),
  upstream('filter', 'OUTPUT', Chain.PROXY_FIREWALL, 'kubernetes load balancer firewall', CTSTATE_NEW),
  upstream('filter', 'FORWARD', Chain.PROXY_FIREWALL, 'kubernetes load balancer firewall', CTSTATE_NEW),
];

const matches = (table: Table, chain: string, rule: readonly string[]) => (j: OwnedJump): boolean =>
  j.table === table && j.chain === chain && sameArgs(j.args, rule);

/** `ours`, `adopted`, or undefined for any other rule of a built-in chain. */
export function jumpOwner(table: Table, chain: string, rule: readonly string[]): Owner | undefined {
  if (OURS.some(matches(table, chain, rule))) return 'ours';
  if (ADOPTED.some(matches(table, chain, rule))) return 'adopted';
  return undefined;
}
