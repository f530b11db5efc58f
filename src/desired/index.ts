/**
 * The desired state as the union of every service's contribution, kept incrementally: replacing one
 * service's contribution updates reference counts and records exactly which kernel objects'
 * desired form changed. No I/O; the engine feeds it, the diff reads it.
 *
 * Two services may claim the same object (an externalIP shared by two services on one port is a
 * user error the API does not prevent). The lexically smallest service name wins, deterministically,
 * and the other's claim takes over if the winner goes away.
 */
import type { ServiceName } from '../model/types.ts';
import type { DesiredVirtualServer, ServiceContribution, SetMember } from './contribution.ts';
import { EMPTY_CONTRIBUTION } from './contribution.ts';
import { virtualServerId, type VirtualServerId } from './ids.ts';

/** What changed in the desired state since the last `takeChanges()`. */
export interface DesiredChanges {
  readonly addresses: ReadonlySet<string>;
  readonly virtualServers: ReadonlySet<VirtualServerId>;
  /** Set names whose desired members changed. */
  readonly sets: ReadonlySet<string>;
}

export class DesiredStateIndex {
  private readonly contributions = new Map<ServiceName, ServiceContribution>();
  private readonly addressRefs = new Map<string, number>();
  private readonly vsClaims = new Map<VirtualServerId, Map<ServiceName, DesiredVirtualServer>>();
  private readonly members = new Map<string, Map<string, number>>();
  private changedAddresses = new Set<string>();
  private changedVirtualServers = new Set<VirtualServerId>();
  private changedSets = new Set<string>();

  /** Replaces a service's contribution; pass undefined when the service is gone. */
  setService(name: ServiceName, contribution: ServiceContribution | undefined): void {
    const previous = this.contributions.get(name) ?? EMPTY_CONTRIBUTION;
    const next = contribution ?? EMPTY_CONTRIBUTION;
    if (contribution === undefined) this.contributions.delete(name);
    else this.contributions.set(name, contribution);
    this.updateAddresses(previous.addresses, next.addresses);
    this.updateVirtualServers(name, previous.virtualServers, next.virtualServers);
    this.updateMembers(previous.setMembers, next.setMembers);
  }

  takeChanges(): DesiredChanges {
    const changes = { addresses: this.changedAddresses, virtualServers: this.changedVirtualServers, sets: this.changedSets };
    this.changedAddresses = new Set();
    this.changedVirtualServers = new Set();
    this.changedSets = new Set();
    return changes;
  }

  hasAddress(address: string): boolean {
    return this.addressRefs.has(address);
  }

  addresses(): IterableIterator<string> {
    return this.addressRefs.keys();
  }

  virtualServer(id: VirtualServerId): DesiredVirtualServer | undefined {
    const claims = this.vsClaims.get(id);
    if (claims === undefined) return undefined;
    let winner: ServiceName | undefined;
    for (const name of claims.keys()) if (winner === undefined || name < winner) winner = name;
    return winner === undefined ? undefined : claims.get(winner);
  }

  virtualServerIds(): IterableIterator<VirtualServerId> {
    return this.vsClaims.keys();
  }

  setMembers(set: string): ReadonlySet<string> {
    return new Set(this.members.get(set)?.keys() ?? []);
  }

  get serviceCount(): number {
    return this.contributions.size;
  }

  private updateAddresses(previous: readonly string[], next: readonly string[]): void {
    for (const a of next) if (increment(this.addressRefs, a)) this.changedAddresses.add(a);
    for (const a of previous) if (decrement(this.addressRefs, a)) this.changedAddresses.add(a);
  }

  private updateVirtualServers(owner: ServiceName, previous: readonly DesiredVirtualServer[], next: readonly DesiredVirtualServer[]): void {
    const nextIds = new Set<VirtualServerId>();
    for (const vs of next) {
      const id = virtualServerId(vs.service.key);
      nextIds.add(id);
      const claims = this.vsClaims.get(id) ?? new Map<ServiceName, DesiredVirtualServer>();
      this.vsClaims.set(id, claims);
      if (claims.get(owner) !== vs) this.changedVirtualServers.add(id);
      claims.set(owner, vs);
    }
    for (const vs of previous) {
      const id = virtualServerId(vs.service.key);
      if (nextIds.has(id)) continue;
      const claims = this.vsClaims.get(id);
      if (claims?.delete(owner) === true) this.changedVirtualServers.add(id);
      if (claims?.size === 0) this.vsClaims.delete(id);
    }
  }

  private updateMembers(previous: readonly SetMember[], next: readonly SetMember[]): void {
    for (const { set, member } of next) {
      const refs = this.members.get(set) ?? new Map<string, number>();
      this.members.set(set, refs);
      if (increment(refs, member)) this.changedSets.add(set);
    }
    for (const { set, member } of previous) {
      const refs = this.members.get(set);
      if (refs !== undefined && decrement(refs, member)) this.changedSets.add(set);
    }
  }
}

/** Returns true when the key went from absent to present. */
function increment(map: Map<string, number>, key: string): boolean {
  const count = map.get(key) ?? 0;
  map.set(key, count + 1);
  return count === 0;
}

/** Returns true when the key went from present to absent. */
function decrement(map: Map<string, number>, key: string): boolean {
  const count = map.get(key) ?? 0;
  if (count <= 1) {
    map.delete(key);
    return count === 1;
  }
  map.set(key, count - 1);
  return false;
}
