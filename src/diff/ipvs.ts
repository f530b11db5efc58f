/**
 * IPVS diff: desired virtual servers against observed ones, producing operations in an order that
 * never breaks traffic: services are added or updated first, then new destinations are added
 * before stale ones are removed, and stale services go last.
 */
import { ServiceFlag, type IpvsOperation, type RealServer, type VirtualServer } from '../kernel/ipvs/types.ts';
import type { DesiredVirtualServer } from '../desired/contribution.ts';
import { realServerId, type VirtualServerId } from '../desired/ids.ts';
import type { ObservedVirtualServer } from './observed.ts';

export interface IpvsDiffInput {
  /** The virtual servers to look at (changed ones for a partial sync, all for a full one). */
  readonly ids: Iterable<VirtualServerId>;
  readonly desired: (id: VirtualServerId) => DesiredVirtualServer | undefined;
  readonly observed: (id: VirtualServerId) => ObservedVirtualServer | undefined;
  /** May this observed virtual server be deleted? False for foreign and excluded ones. */
  readonly owned: (observed: ObservedVirtualServer) => boolean;
}

interface Buckets {
  services: IpvsOperation[];
  addDestinations: IpvsOperation[];
  updateDestinations: IpvsOperation[];
  deleteDestinations: IpvsOperation[];
  deleteServices: IpvsOperation[];
}

export function diffIpvs(input: IpvsDiffInput): IpvsOperation[] {
  const b: Buckets = { services: [], addDestinations: [], updateDestinations: [], deleteDestinations: [], deleteServices: [] };
  for (const id of input.ids) {
    const desired = input.desired(id);
    const observed = input.observed(id);
    if (desired === undefined) {
      if (observed !== undefined && input.owned(observed)) b.deleteServices.push({ op: 'deleteService', key: observed.service.key });
      continue;
    }
    if (observed === undefined) b.services.push({ op: 'addService', service: desired.service });
    else if (!sameService(desired.service, observed.service)) b.services.push({ op: 'updateService', service: desired.service });
    diffDestinations(desired, observed, b);
  }
  return [...b.services, ...b.addDestinations, ...b.updateDestinations, ...b.deleteDestinations, ...b.deleteServices];
}

function diffDestinations(desired: DesiredVirtualServer, observed: ObservedVirtualServer | undefined, b: Buckets): void {
  const service = desired.service.key;
  const wanted = new Set<string>();
  for (const destination of desired.destinations) {
    const id = realServerId(destination);
    wanted.add(id);
    const current = observed?.destinations.get(id);
    if (current === undefined) b.addDestinations.push({ op: 'addDestination', service, destination });
    else if (!sameRealServer(destination, current)) b.updateDestinations.push({ op: 'updateDestination', service, destination });
  }
  for (const current of observed?.destinations.values() ?? []) {
    if (!wanted.has(realServerId(current))) {
      b.deleteDestinations.push({ op: 'deleteDestination', service, destination: { family: current.family, address: current.address, port: current.port } });
    }
  }
}

/** HASHED is set by the kernel on every live service; it is never part of what we compare. */
export function sameService(a: VirtualServer, b: VirtualServer): boolean {
  const mask = ~ServiceFlag.HASHED;
  return a.scheduler === b.scheduler && (a.flags & mask) === (b.flags & mask) && a.timeout === b.timeout && a.netmask === b.netmask;
}

export function sameRealServer(a: RealServer, b: RealServer): boolean {
  return a.forward === b.forward && a.weight === b.weight && a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold;
}
