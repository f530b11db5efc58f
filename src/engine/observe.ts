/**
 * Reads the kernel into the diff's ObservedState for one family: kube-ipvs0 and its addresses, the
 * IPVS table (one service dump, destinations pipelined: never a GetService per service, upstream PR
 * 95881), the ipsets and iptables chains the ownership module says are ours, and the whole
 * iptables-save (for the diff's leftover removal). The ipsets include upstream's adopted ones with
 * their members: the NodePort sets among them are what lets the diff delete upstream's node-IP
 * virtual servers (ownership/node-ports.ts) in the same sync that destroys the sets.
 */
import type { Kernel } from '../kernel/kernel.ts';
import type { IptablesState, JumpRule, TableState } from '../kernel/iptables/types.ts';
import { jumpArgs } from '../kernel/iptables/rule.ts';
import type { VirtualServerDump } from '../kernel/ipvs/types.ts';
import type { IpsetSetState } from '../kernel/ipset/types.ts';
import type { InterfaceAddress } from '../kernel/link/types.ts';
import { virtualServerId, type VirtualServerId } from '../desired/ids.ts';
import { DestinationList } from '../diff/destination-list.ts';
import { JUMPS } from '../desired/iptables-rules.ts';
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import { chainKey, jumpKey, type ObservedState, type ObservedVirtualServer } from '../diff/observed.ts';
import { chainOwner } from '../ownership/chains.ts';
import { isOwnedSet } from '../ownership/sets.ts';
import type { IpFamily } from '../validate/validate.ts';

/**
 * What one full sync reads once and every family shares: the link, its addresses, the IPVS table
 * and the ipsets (a dual-stack node would otherwise dump 100k destinations twice). `linkExists`
 * is updated when a family's plan creates kube-ipvs0, so the next family does not plan it again.
 */
export interface KernelSnapshot {
  linkExists: boolean;
  readonly addresses: readonly InterfaceAddress[];
  readonly dump: readonly VirtualServerDump[];
  readonly sets: readonly IpsetSetState[];
}

export async function readKernelSnapshot(kernel: Kernel): Promise<KernelSnapshot> {
  const [link, dump, sets] = await Promise.all([kernel.links.getLink(KUBE_IPVS_INTERFACE), kernel.ipvs.dump(), kernel.ipset.list()]);
  const addresses = link === undefined ? [] : await kernel.links.listAddresses(KUBE_IPVS_INTERFACE);
  return { linkExists: link !== undefined, addresses, dump, sets };
}

/** One family's view: the shared snapshot plus that family's iptables (a separate tool per family). */
export async function observeFamily(kernel: Kernel, snapshot: KernelSnapshot, family: IpFamily): Promise<ObservedState> {
  const iptables = await kernel.iptables.save(family);
  return {
    linkExists: snapshot.linkExists,
    addresses: new Set(snapshot.addresses.filter((a) => a.family === family).map((a) => a.address)),
    virtualServers: virtualServersOf(snapshot.dump, family),
    sets: new Map(snapshot.sets.filter((s) => isOwnedSet(s.name, family)).map((s) => [s.name, new Set(s.members)])),
    chains: ourChains(iptables),
    jumps: presentJumps(iptables, JUMPS),
    iptables,
  };
}

export function virtualServersOf(dump: readonly VirtualServerDump[], family: IpFamily): Map<VirtualServerId, ObservedVirtualServer> {
  const out = new Map<VirtualServerId, ObservedVirtualServer>();
  for (const { service, destinations } of dump) {
    if (service.key.family !== family) continue;
    const { key, scheduler, flags, timeout, netmask } = service;
    out.set(virtualServerId(key), {
      service: { key, scheduler, flags, timeout, netmask },
      // The read objects themselves (no copy: the dump is alive until here anyway); the mirror
      // replaces them with the desired instances wherever they are equal.
      destinations: DestinationList.sorted([...destinations]),
    });
  }
  return out;
}

/** The chains we write (adopted leftovers are the diff's business, through `iptables`). */
function ourChains(state: IptablesState): Map<string, readonly (readonly string[])[]> {
  const out = new Map<string, readonly (readonly string[])[]>();
  for (const [table, tableState] of state.tables) {
    for (const [name, chain] of tableState.chains) {
      if (!chain.builtin && chainOwner(table, name) === 'ours') out.set(chainKey(table, name), chain.rules);
    }
  }
  return out;
}

/** A jump counts as present only when it exists exactly once (duplicates are repaired). */
function presentJumps(state: IptablesState, jumps: readonly JumpRule[]): Set<string> {
  const out = new Set<string>();
  for (const jump of jumps) {
    const wanted = jumpArgs(jump);
    const rules = chainRules(state.tables.get(jump.table), jump.chain);
    const count = rules.filter((r) => r.length === wanted.length && r.every((arg, i) => arg === wanted[i])).length;
    if (count === 1) out.add(jumpKey(jump));
  }
  return out;
}

function chainRules(table: TableState | undefined, chain: string): readonly (readonly string[])[] {
  return table?.chains.get(chain)?.rules ?? [];
}
