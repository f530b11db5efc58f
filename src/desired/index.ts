/**
 * The desired state as the union of every service's contribution, kept incrementally: replacing one
 * service's contribution updates reference counts and records exactly which kernel objects'
 * desired form changed. No I/O and no logging; the engine feeds it, the diff reads it, and the
 * engine reports the conflicts it takes from it.
 *
 * Two services may claim the same virtual server (conflicts.ts decides who wins: the older one,
 * then namespace/name). Only the winner's claim is desired, with the set members that come with it;
 * the loser's other virtual servers are served as usual, and its claim takes over in the same
 * update that removes the winner. Addresses are reference counted across all claims: the shared
 * address stays bound until neither service wants it.
 */
import type { ServiceName } from '../model/types.ts';
import { conflict, ConflictTracker, outranks, type Claimant, type Conflict, type ConflictChanges } from './conflicts.ts';
import type { DesiredVirtualServer, ExternalIPRefusal, ServiceContribution, SetMember } from './contribution.ts';
import { EMPTY_CONTRIBUTION } from './contribution.ts';
import { virtualServerId, type VirtualServerId } from './ids.ts';

/** What changed in the desired state since the last `takeChanges()`. */
export interface DesiredChanges {
  readonly addresses: ReadonlySet<string>;
  readonly virtualServers: ReadonlySet<VirtualServerId>;
  /** Set names whose desired members changed. */
  readonly sets: ReadonlySet<string>;
}

interface Entry {
  readonly contribution: ServiceContribution;
  readonly createdAt: number | undefined;
}

/** Set members one update adds and removes; applied adds first, so a member that stays is never reported. */
interface MemberDelta {
  readonly added: SetMember[];
  readonly removed: SetMember[];
}

type Claims = Map<ServiceName, DesiredVirtualServer>;

/** A service whose refused externalIPs changed since the last `takeRefusalChanges()`. */
export interface RefusalChange {
  readonly service: ServiceName;
  readonly before: readonly ExternalIPRefusal[];
  readonly after: readonly ExternalIPRefusal[];
}

export class DesiredStateIndex {
  private readonly services = new Map<ServiceName, Entry>();
  private readonly addressRefs = new Map<string, number>();
  private readonly vsClaims = new Map<VirtualServerId, Claims>();
  private readonly winners = new Map<VirtualServerId, ServiceName>();
  private readonly members = new Map<string, Map<string, number>>();
  private readonly conflicts = new ConflictTracker();
  private changedAddresses = new Set<string>();
  private changedVirtualServers = new Set<VirtualServerId>();
  private changedSets = new Set<string>();
  /** Refusals as last taken, per service whose refusals changed since. */
  private refusalsBefore = new Map<ServiceName, readonly ExternalIPRefusal[]>();

  /**
   * Replaces a service's contribution; pass undefined when the service is gone. `createdAt`
   * (metadata.creationTimestamp, ms) ranks its claims against other services'.
   */
  setService(name: ServiceName, contribution: ServiceContribution | undefined, createdAt?: number): void {
    const previous = this.services.get(name)?.contribution ?? EMPTY_CONTRIBUTION;
    const next = contribution ?? EMPTY_CONTRIBUTION;
    const ids = new Set([...previous.virtualServers, ...next.virtualServers].map((vs) => virtualServerId(vs.service.key)));
    const before = new Map([...ids].map((id) => [id, this.virtualServer(id)]));
    if (contribution === undefined) this.services.delete(name);
    else this.services.set(name, { contribution, createdAt });
    this.updateAddresses(previous.addresses, next.addresses);
    this.updateClaims(name, previous.virtualServers, next.virtualServers);
    const delta: MemberDelta = { added: [...next.setMembers], removed: [...previous.setMembers] };
    for (const id of ids) this.settle(id, before.get(id), delta);
    this.updateMembers(delta);
    this.noteRefusals(name, previous.refusedExternalIPs, next.refusedExternalIPs);
  }

  /**
   * Services whose refused externalIPs changed since the last call (an edit reverted in between
   * is none), so the engine logs a refusal once per change, not once per sync.
   */
  takeRefusalChanges(): RefusalChange[] {
    const out: RefusalChange[] = [];
    for (const [service, before] of this.refusalsBefore) {
      const after = this.services.get(service)?.contribution.refusedExternalIPs ?? [];
      if (refusalKey(before) !== refusalKey(after)) out.push({ service, before, after });
    }
    this.refusalsBefore = new Map();
    return out;
  }

  takeChanges(): DesiredChanges {
    const changes = { addresses: this.changedAddresses, virtualServers: this.changedVirtualServers, sets: this.changedSets };
    this.changedAddresses = new Set();
    this.changedVirtualServers = new Set();
    this.changedSets = new Set();
    return changes;
  }

  /** Conflicts that began or ended since the last call: each is reported once. */
  takeConflictChanges(): ConflictChanges {
    return this.conflicts.take((id) => this.conflictsOf(id));
  }

  hasAddress(address: string): boolean {
    return this.addressRefs.has(address);
  }

  addresses(): IterableIterator<string> {
    return this.addressRefs.keys();
  }

  /** The winning claim. */
  virtualServer(id: VirtualServerId): DesiredVirtualServer | undefined {
    const winner = this.winners.get(id);
    return winner === undefined ? undefined : this.vsClaims.get(id)?.get(winner);
  }

  virtualServerIds(): IterableIterator<VirtualServerId> {
    return this.vsClaims.keys();
  }

  setMembers(set: string): ReadonlySet<string> {
    return new Set(this.members.get(set)?.keys() ?? []);
  }

  get serviceCount(): number {
    return this.services.size;
  }

  private noteRefusals(name: ServiceName, previous: readonly ExternalIPRefusal[], next: readonly ExternalIPRefusal[]): void {
    if (refusalKey(previous) !== refusalKey(next) && !this.refusalsBefore.has(name)) this.refusalsBefore.set(name, previous);
  }

  private updateAddresses(previous: readonly string[], next: readonly string[]): void {
    for (const a of next) if (increment(this.addressRefs, a)) this.changedAddresses.add(a);
    for (const a of previous) if (decrement(this.addressRefs, a)) this.changedAddresses.add(a);
  }

  private updateClaims(owner: ServiceName, previous: readonly DesiredVirtualServer[], next: readonly DesiredVirtualServer[]): void {
    const nextIds = new Set<VirtualServerId>();
    for (const vs of next) {
      const id = virtualServerId(vs.service.key);
      nextIds.add(id);
      const claims = this.vsClaims.get(id) ?? new Map<ServiceName, DesiredVirtualServer>();
      this.vsClaims.set(id, claims);
      claims.set(owner, vs);
    }
    for (const vs of previous) {
      const id = virtualServerId(vs.service.key);
      if (nextIds.has(id)) continue;
      const claims = this.vsClaims.get(id);
      claims?.delete(owner);
      if (claims?.size === 0) this.vsClaims.delete(id);
    }
  }

  /**
   * Picks the virtual server's winner after an update. Only a change of the winning claim is a
   * change of the desired state: a loser's update touches nothing the kernel sees.
   */
  private settle(id: VirtualServerId, before: DesiredVirtualServer | undefined, delta: MemberDelta): void {
    const claims = this.vsClaims.get(id);
    const winner = claims === undefined ? undefined : this.winnerOf(claims);
    if (winner === undefined) this.winners.delete(id);
    else this.winners.set(id, winner);
    this.conflicts.touch(id, claims?.size ?? 0);
    const after = winner === undefined ? undefined : claims?.get(winner);
    if (after === before) return;
    this.changedVirtualServers.add(id);
    if (after !== undefined) delta.added.push(...after.setMembers);
    if (before !== undefined) delta.removed.push(...before.setMembers);
  }

  /** Nearly every virtual server has one claimant: no ranking for it. */
  private winnerOf(claims: Claims): ServiceName | undefined {
    if (claims.size === 1) return claims.keys().next().value;
    return this.rank(claims)[0]?.name;
  }

  /** Claimants, winner first. */
  private rank(claims: Claims): Claimant[] {
    const claimants = [...claims.keys()].map((name) => ({ name, createdAt: this.services.get(name)?.createdAt }));
    return claimants.sort((a, b) => (outranks(a, b) ? -1 : outranks(b, a) ? 1 : 0));
  }

  private conflictsOf(id: VirtualServerId): Conflict[] {
    const claims = this.vsClaims.get(id);
    if (claims === undefined || claims.size < 2) return [];
    const [winner, ...losers] = this.rank(claims);
    const key = winner === undefined ? undefined : claims.get(winner.name)?.service.key;
    if (winner === undefined || key === undefined) return [];
    return losers.map((loser) => conflict(id, key, winner, loser));
  }

  private updateMembers(delta: MemberDelta): void {
    for (const { set, member } of delta.added) {
      const refs = this.members.get(set) ?? new Map<string, number>();
      this.members.set(set, refs);
      if (increment(refs, member)) this.changedSets.add(set);
    }
    for (const { set, member } of delta.removed) {
      const refs = this.members.get(set);
      if (refs !== undefined && decrement(refs, member)) this.changedSets.add(set);
    }
  }
}

function refusalKey(refusals: readonly ExternalIPRefusal[]): string {
  return refusals.map((r) => `${r.address} ${r.reason}`).sort().join(',');
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
