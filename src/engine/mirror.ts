/**
 * What the engine believes the kernel holds for one family: the result of the last full read plus
 * every plan applied since. Partial syncs diff against it instead of re-reading the kernel; any
 * failed apply forces a full sync, which replaces it with a fresh read.
 */
import type { IpvsOperation, RealServer } from '../kernel/ipvs/types.ts';
import { realServerId, virtualServerId, type RealServerId, type VirtualServerId } from '../desired/ids.ts';
import { chainKey, jumpKey, type ObservedState, type ObservedVirtualServer } from '../diff/observed.ts';
import type { Plan } from '../plan/plan.ts';

interface MutableVirtualServer {
  service: ObservedVirtualServer['service'];
  destinations: Map<RealServerId, RealServer>;
}

export class Mirror implements ObservedState {
  linkExists = false;
  readonly addresses = new Set<string>();
  readonly virtualServers = new Map<VirtualServerId, MutableVirtualServer>();
  readonly sets = new Map<string, Set<string>>();
  readonly chains = new Map<string, readonly (readonly string[])[]>();
  readonly jumps = new Set<string>();

  static from(observed: ObservedState): Mirror {
    const m = new Mirror();
    m.linkExists = observed.linkExists;
    for (const a of observed.addresses) m.addresses.add(a);
    for (const [id, vs] of observed.virtualServers) m.virtualServers.set(id, { service: vs.service, destinations: new Map(vs.destinations) });
    for (const [name, members] of observed.sets) m.sets.set(name, new Set(members));
    for (const [key, rules] of observed.chains) m.chains.set(key, rules);
    for (const j of observed.jumps) m.jumps.add(j);
    return m;
  }

  /** Records the effect of a plan that was applied. */
  record(plan: Plan): void {
    if (plan.createLink) this.linkExists = true;
    for (const a of plan.bindAddresses) this.addresses.add(a);
    for (const s of plan.createSets) if (!this.sets.has(s.name)) this.sets.set(s.name, new Set());
    for (const { set, member } of plan.addMembers) this.membersOf(set).add(member);
    for (const { set, member } of plan.deleteMembers) this.sets.get(set)?.delete(member);
    if (plan.iptables !== undefined) {
      for (const c of plan.iptables.chains) this.chains.set(chainKey(c.table, c.name), c.rules);
      for (const j of plan.iptables.jumps) this.jumps.add(jumpKey(j));
    }
    for (const op of plan.ipvs) this.recordIpvs(op);
    for (const a of plan.unbindAddresses) this.addresses.delete(a);
    for (const s of plan.destroySets) this.sets.delete(s);
  }

  private membersOf(set: string): Set<string> {
    let members = this.sets.get(set);
    if (members === undefined) {
      members = new Set();
      this.sets.set(set, members);
    }
    return members;
  }

  private recordIpvs(op: IpvsOperation): void {
    switch (op.op) {
      case 'addService':
      case 'updateService': {
        const id = virtualServerId(op.service.key);
        const existing = this.virtualServers.get(id);
        this.virtualServers.set(id, { service: op.service, destinations: existing?.destinations ?? new Map<RealServerId, RealServer>() });
        return;
      }
      case 'deleteService':
        this.virtualServers.delete(virtualServerId(op.key));
        return;
      case 'addDestination':
      case 'updateDestination':
        this.virtualServers.get(virtualServerId(op.service))?.destinations.set(realServerId(op.destination), op.destination);
        return;
      case 'deleteDestination':
        this.virtualServers.get(virtualServerId(op.service))?.destinations.delete(realServerId(op.destination));
        return;
    }
  }
}
