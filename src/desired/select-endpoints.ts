/**
 * Which endpoints a virtual server gets, following the EndpointSlice API's promises (and
 * kube-proxy's iptables/nftables modes), not upstream IPVS mode's bug:
 * - Cluster: ready endpoints, narrowed by topology hints when every one has hints and some match
 *   this node's zone; with no ready endpoint, the serving-and-terminating ones.
 * - Local: this node's ready endpoints; else this node's serving-and-terminating ones; else NONE.
 *   Upstream IPVS (PR 97081) fell back to every cluster endpoint here; the API says drop.
 */
import type { Endpoint, TrafficPolicy } from '../model/types.ts';

export interface NodeIdentity {
  readonly nodeName: string;
  readonly nodeZone: string | undefined;
}

export function selectEndpoints(endpoints: readonly Endpoint[], policy: TrafficPolicy, node: NodeIdentity): Endpoint[] {
  if (policy === 'Local') {
    return readyOrTerminating(endpoints.filter((e) => e.nodeName === node.nodeName));
  }
  const ready = endpoints.filter((e) => e.ready);
  // Hints describe where ready capacity is; upstream never applies them to the terminating fallback.
  if (ready.length > 0) return narrowByTopology(ready, node.nodeZone);
  return endpoints.filter((e) => e.serving && e.terminating);
}

function readyOrTerminating(endpoints: readonly Endpoint[]): Endpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

/** Hints apply only when every endpoint carries them and at least one is for our zone. */
function narrowByTopology(endpoints: Endpoint[], zone: string | undefined): Endpoint[] {
  if (zone === undefined || endpoints.length === 0) return endpoints;
  if (!endpoints.every((e) => e.hintZones !== undefined && e.hintZones.length > 0)) return endpoints;
  const inZone = endpoints.filter((e) => e.hintZones?.includes(zone));
  return inZone.length > 0 ? inZone : endpoints;
}

/** Deduplicate by address:port (two slices may list the same endpoint); a ready copy wins. */
export function uniqueEndpoints(endpoints: Iterable<Endpoint>): Endpoint[] {
  const byKey = new Map<string, Endpoint>();
  for (const e of endpoints) {
    const key = `${e.address}|${e.port}`;
    const existing = byKey.get(key);
    if (existing === undefined || (!existing.ready && e.ready)) byKey.set(key, e);
  }
  return [...byKey.values()];
}
