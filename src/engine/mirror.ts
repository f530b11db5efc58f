/**
 * What the engine believes the kernel holds for one family: the result of the last full read plus
 * every plan applied since (recorded by each step row, plan/ipvs-steps.ts). Partial syncs diff against it instead of re-reading the kernel; any
 * failed apply forces a full sync, which replaces it with a fresh read.
 *
 * Memory: it shares objects with the desired state wherever they are equal. Applied operations
 * carry the desired RealServer and VirtualServer instances, and after a full read every virtual
 * server that matches its desired form takes the desired instances (and destination array) in
 * place of the read ones, so at 10k services × 10 endpoints the mirror is ~10k small objects.
 */
import type { IpvsOperation, RealServer, VirtualServer } from '../kernel/ipvs/types.ts';
import type { DesiredVirtualServer } from '../desired/contribution.ts';
import { realServerId, virtualServerId, type RealServerId, type VirtualServerId } from '../desired/ids.ts';
import { DestinationList } from '../diff/destination-list.ts';
import { sameRealServer, sameService } from '../diff/ipvs.ts';
import type { DestinationLookup, ObservedState, ObservedVirtualServer } from '../diff/observed.ts';

interface MutableVirtualServer {
  service: VirtualServer;
  destinations: DestinationList;
}

/** Destination changes of one virtual server within a plan; undefined: deleted. */
type DestinationChanges = Map<RealServerId, RealServer | undefined>;

export class Mirror implements ObservedState {
  linkExists = false;
  readonly addresses = new Set<string>();
  readonly virtualServers = new Map<VirtualServerId, MutableVirtualServer>();
  readonly sets = new Map<string, Set<string>>();
  readonly chains = new Map<string, readonly (readonly string[])[]>();
  readonly jumps = new Set<string>();

  /** `desired` lends its instances to the virtual servers that match it. */
  static from(observed: ObservedState, desired: (id: VirtualServerId) => DesiredVirtualServer | undefined = () => undefined): Mirror {
    const m = new Mirror();
    m.linkExists = observed.linkExists;
    for (const a of observed.addresses) m.addresses.add(a);
    for (const [id, vs] of observed.virtualServers) m.virtualServers.set(id, shared(vs, desired(id)));
    for (const [name, members] of observed.sets) m.sets.set(name, new Set(members));
    for (const [key, rules] of observed.chains) m.chains.set(key, rules);
    for (const j of observed.jumps) m.jumps.add(j);
    return m;
  }

  membersOf(set: string): Set<string> {
    let members = this.sets.get(set);
    if (members === undefined) {
      members = new Set();
      this.sets.set(set, members);
    }
    return members;
  }

  /** Destination changes are collected per virtual server, then each list is rebuilt once. */
  recordIpvs(operations: readonly IpvsOperation[]): void {
    const changes = new Map<VirtualServerId, DestinationChanges>();
    const changesOf = (id: VirtualServerId): DestinationChanges => {
      let c = changes.get(id);
      if (c === undefined) {
        c = new Map();
        changes.set(id, c);
      }
      return c;
    };
    for (const op of operations) {
      switch (op.op) {
        case 'addService':
        case 'updateService': {
          const id = virtualServerId(op.service.key);
          this.virtualServers.set(id, { service: op.service, destinations: this.virtualServers.get(id)?.destinations ?? DestinationList.EMPTY });
          break;
        }
        case 'deleteService': {
          const id = virtualServerId(op.key);
          this.virtualServers.delete(id);
          changes.delete(id);
          break;
        }
        case 'addDestination':
        case 'updateDestination':
          changesOf(virtualServerId(op.service)).set(realServerId(op.destination), op.destination);
          break;
        case 'deleteDestination':
          changesOf(virtualServerId(op.service)).set(realServerId(op.destination), undefined);
          break;
      }
    }
    for (const [id, c] of changes) {
      const vs = this.virtualServers.get(id);
      if (vs !== undefined) vs.destinations = applyChanges(vs.destinations, c);
    }
  }
}

function applyChanges(list: DestinationList, changes: DestinationChanges): DestinationList {
  const byId = new Map<RealServerId, RealServer | undefined>(list.items.map((d) => [realServerId(d), d]));
  for (const [id, d] of changes) byId.set(id, d);
  const items: RealServer[] = [];
  for (const d of byId.values()) if (d !== undefined) items.push(d);
  return DestinationList.sorted(items);
}

/** The mirror's copy of a read virtual server: the desired instances when they are equal to it. */
function shared(observed: ObservedVirtualServer, desired: DesiredVirtualServer | undefined): MutableVirtualServer {
  const read = observed.destinations instanceof DestinationList ? observed.destinations : DestinationList.sorted([...observed.destinations.values()]);
  if (desired === undefined) return { service: observed.service, destinations: read };
  return {
    service: sameService(desired.service, observed.service) ? desired.service : observed.service,
    destinations: sameDestinations(desired.destinations, read) ? new DestinationList(desired.destinations) : read,
  };
}

/** Desired destinations are sorted the same way (compareRealServers), so equal lists align. */
function sameDestinations(desired: readonly RealServer[], read: DestinationLookup & { readonly items: readonly RealServer[] }): boolean {
  if (desired.length !== read.items.length) return false;
  return desired.every((d, i) => {
    const r = read.items[i];
    return r !== undefined && d.family === r.family && d.address === r.address && d.port === r.port && sameRealServer(d, r);
  });
}
