/**
 * The kernel state the diff compares against, for one family: either read back from the kernel
 * (full sync) or the engine's mirror of what it last applied (partial sync). Same shape for both,
 * so the diff cannot tell them apart.
 */
import type { IptablesState } from '../kernel/iptables/types.ts';
import type { RealServer, VirtualServer } from '../kernel/ipvs/types.ts';
import type { RealServerId, VirtualServerId } from '../desired/ids.ts';

/** What the diff needs of a virtual server's destinations: a Map fits, so does a DestinationList. */
export interface DestinationLookup {
  readonly size: number;
  get(id: RealServerId): RealServer | undefined;
  values(): Iterable<RealServer>;
}

export interface ObservedVirtualServer {
  readonly service: VirtualServer;
  readonly destinations: DestinationLookup;
}

export interface ObservedState {
  /** Does kube-ipvs0 exist? */
  readonly linkExists: boolean;
  /** Addresses of this family on kube-ipvs0. */
  readonly addresses: ReadonlySet<string>;
  readonly virtualServers: ReadonlyMap<VirtualServerId, ObservedVirtualServer>;
  /**
   * This family's owned sets (ours and adopted upstream leftovers, src/ownership/sets.ts) with their
   * members; upstream's NodePort sets' members are the evidence for the node-IP virtual-server claim.
   */
  readonly sets: ReadonlyMap<string, ReadonlySet<string>>;
  /** Our chains' rules as the kernel has them, `table/chain` → rules; absent chain: absent key. */
  readonly chains: ReadonlyMap<string, readonly (readonly string[])[]>;
  /** Our jumps present exactly once (`table/chain/target`). */
  readonly jumps: ReadonlySet<string>;
  /**
   * The whole iptables-save this state was read from, for the full diff to ask the ownership module
   * which upstream leftovers to remove and which sets foreign rules still use. Absent in the mirror:
   * a partial diff removes nothing.
   */
  readonly iptables?: IptablesState | undefined;
}

export function chainKey(table: string, chain: string): string {
  return `${table}/${chain}`;
}

export function jumpKey(jump: { readonly table: string; readonly chain: string; readonly target: string }): string {
  return `${jump.table}/${jump.chain}/${jump.target}`;
}
