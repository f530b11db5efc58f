/**
 * The synthetic cluster: N ClusterIP services (TCP 80 → 8080), each with one EndpointSlice of E
 * endpoints spread round-robin over `nodes` nodes, so 1/nodes of the endpoints are local and land in
 * KUBE-LOOP-BACK, as on one node of a real cluster. Objects go through the real parsers, and the
 * benchmark keeps only what a source keeps: the parsed Service and EndpointSlice (the raw objects
 * are dropped, and endpoint changes are derived from the parsed slice), so the engine process's
 * memory is the engine's.
 */
import type { Endpoint, EndpointSliceInfo, Service } from '../src/model/types.ts';
import { service, slice } from '../test/helpers/objects.ts';

export const NODE = 'node-0';
export const NAMESPACE = 'bench';
export const SERVICE_PORT = 80;
export const TARGET_PORT = 8080;
/** Pod addresses come from 10.128.0.0/9. */
export const CLUSTER_CIDR = '10.128.0.0/9';
const POD_ADDRESSES = 2 ** 23;

export interface BenchEndpoint {
  readonly ip: string;
  readonly node: string;
}

export interface BenchService {
  readonly service: Service;
  slice: EndpointSliceInfo;
}

const PORT_KEY = 'http/TCP';

/** 10.96.0.0/16, skipping .0 of the /16 (the network address). */
export function clusterIP(i: number): string {
  const n = i + 1;
  return `10.96.${n >> 8}.${n & 255}`;
}

export class PodAddresses {
  #next = 0;

  take(): string {
    const n = this.#next++;
    if (n >= POD_ADDRESSES) throw new RangeError(`more than ${POD_ADDRESSES} pod addresses requested`);
    return `10.${128 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
  }
}

export function buildWorkload(services: number, endpoints: number, nodes: number, pods: PodAddresses): BenchService[] {
  return Array.from({ length: services }, (_, i) => {
    const name = `svc-${i}`;
    const eps = Array.from({ length: endpoints }, (_, j) => ({ ip: pods.take(), node: `node-${(i + j) % nodes}` }));
    return { service: service({ name, namespace: NAMESPACE, clusterIP: clusterIP(i) }), slice: sliceOf(name, eps) };
  });
}

/** The endpoints of a benchmark slice (its only port), as the workload describes them. */
export function benchEndpoints(slice: EndpointSliceInfo): BenchEndpoint[] {
  return endpointsOf(slice).map((e) => ({ ip: e.address, node: e.nodeName ?? '' }));
}

export function endpointsOf(slice: EndpointSliceInfo): readonly Endpoint[] {
  const endpoints = slice.endpointsByPort.get(PORT_KEY);
  if (endpoints === undefined) throw new RangeError(`slice ${slice.name} has no ${PORT_KEY} port`);
  return endpoints;
}

export function sliceOf(name: string, endpoints: readonly BenchEndpoint[]): EndpointSliceInfo {
  return slice({ service: name, namespace: NAMESPACE, endpoints: endpoints.map((e) => ({ ip: e.ip, node: e.node })) });
}

/** Deterministic PRNG (mulberry32): the same --seed replays the same endpoint changes. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
