/**
 * A virtual server's destinations as one array sorted by compareRealServers, looked up by
 * RealServerId with a binary search. The mirror and the kernel read hold 100k destinations at
 * 10k services × 10 endpoints: a Map per virtual server plus an id string per destination cost
 * ~100 bytes per destination, an array slot costs 8, and the array can be the desired state's own.
 */
import type { RealServer } from '../kernel/ipvs/types.ts';
import { compareRealServerKey, compareRealServers, type RealServerId } from '../desired/ids.ts';
import type { DestinationLookup } from './observed.ts';

export class DestinationList implements DestinationLookup {
  static readonly EMPTY = new DestinationList([]);

  /** `items` must be sorted by compareRealServers without duplicates (see `sorted`). */
  readonly items: readonly RealServer[];

  constructor(items: readonly RealServer[]) {
    this.items = items;
  }

  /** Sorts `items` in place; the kernel never holds two destinations with one address and port. */
  static sorted(items: RealServer[]): DestinationList {
    return new DestinationList(items.sort(compareRealServers));
  }

  get size(): number {
    return this.items.length;
  }

  /** `id` is a realServerId: `address/port` (the address may hold ':' but never '/'). */
  get(id: RealServerId): RealServer | undefined {
    const slash = id.lastIndexOf('/');
    const address = id.slice(0, slash);
    const port = Number(id.slice(slash + 1));
    let low = 0;
    let high = this.items.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const item = this.items[middle];
      if (item === undefined) break;
      const order = compareRealServerKey(item, address, port);
      if (order === 0) return item;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  values(): IterableIterator<RealServer> {
    return this.items.values();
  }
}
