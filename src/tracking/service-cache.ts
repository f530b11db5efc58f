/**
 * The services and EndpointSlices as of the last sync, plus the trackers holding what changed
 * since. `commit()` folds the pending changes in and tells which services need recomputing.
 */
import type { EndpointSliceInfo, Endpoint, Service, ServiceName } from '../model/types.ts';
import { serviceName } from '../model/types.ts';
import { ChangeTracker } from './change-tracker.ts';

export type SliceKey = string;

export function sliceKey(slice: Pick<EndpointSliceInfo, 'namespace' | 'name'>): SliceKey {
  return `${slice.namespace}/${slice.name}`;
}

export class ServiceCache {
  readonly serviceChanges = new ChangeTracker<Service>();
  readonly sliceChanges = new ChangeTracker<EndpointSliceInfo>();
  private readonly services = new Map<ServiceName, Service>();
  private readonly slices = new Map<SliceKey, EndpointSliceInfo>();
  private readonly slicesByService = new Map<ServiceName, Set<SliceKey>>();

  /** Applies pending changes; returns the services whose desired state may have changed. */
  commit(): Set<ServiceName> {
    const dirty = new Set<ServiceName>();
    for (const [name, change] of this.serviceChanges.take()) {
      if (change.current === undefined) this.services.delete(name);
      else this.services.set(name, change.current);
      dirty.add(name);
    }
    for (const [key, change] of this.sliceChanges.take()) {
      if (change.previous !== undefined) this.unindex(key, change.previous);
      if (change.current !== undefined) this.index(key, change.current);
      for (const slice of [change.previous, change.current]) {
        if (slice !== undefined) dirty.add(serviceName(slice.namespace, slice.serviceName));
      }
    }
    return dirty;
  }

  service(name: ServiceName): Service | undefined {
    return this.services.get(name);
  }

  serviceNames(): IterableIterator<ServiceName> {
    return this.services.keys();
  }

  /** Endpoints of a service keyed `portName/PROTOCOL`, merged across its slices. */
  endpoints(name: ServiceName): Map<string, Endpoint[]> {
    const merged = new Map<string, Endpoint[]>();
    for (const key of this.slicesByService.get(name) ?? []) {
      const slice = this.slices.get(key);
      if (slice === undefined) continue;
      for (const [port, endpoints] of slice.endpointsByPort) {
        const list = merged.get(port) ?? [];
        list.push(...endpoints);
        merged.set(port, list);
      }
    }
    return merged;
  }

  /** Newest last-change-trigger-time among a service's slices (network programming latency). */
  triggerTimes(name: ServiceName): number[] {
    const out: number[] = [];
    for (const key of this.slicesByService.get(name) ?? []) {
      const t = this.slices.get(key)?.lastChangeTriggerTime;
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  private index(key: SliceKey, slice: EndpointSliceInfo): void {
    this.slices.set(key, slice);
    const owner = serviceName(slice.namespace, slice.serviceName);
    const set = this.slicesByService.get(owner) ?? new Set<SliceKey>();
    set.add(key);
    this.slicesByService.set(owner, set);
  }

  private unindex(key: SliceKey, slice: EndpointSliceInfo): void {
    this.slices.delete(key);
    const owner = serviceName(slice.namespace, slice.serviceName);
    const set = this.slicesByService.get(owner);
    set?.delete(key);
    if (set?.size === 0) this.slicesByService.delete(owner);
  }
}
