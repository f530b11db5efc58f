/** The resources the fake API server serves, and how request paths map onto them. */

export type ResourceName = 'services' | 'endpointslices' | 'nodes';

export interface ResourceInfo {
  readonly name: ResourceName;
  readonly kind: string;
  readonly apiVersion: string;
  /** Path prefix: `/api/v1` or `/apis/discovery.k8s.io/v1`. */
  readonly prefix: string;
  readonly namespaced: boolean;
}

export const RESOURCES: Readonly<Record<ResourceName, ResourceInfo>> = {
  services: { name: 'services', kind: 'Service', apiVersion: 'v1', prefix: '/api/v1', namespaced: true },
  endpointslices: {
    name: 'endpointslices', kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', prefix: '/apis/discovery.k8s.io/v1', namespaced: true,
  },
  nodes: { name: 'nodes', kind: 'Node', apiVersion: 'v1', prefix: '/api/v1', namespaced: false },
};

export function resourceOfKind(kind: unknown): ResourceInfo | undefined {
  return Object.values(RESOURCES).find((r) => r.kind === kind);
}

export interface ParsedPath {
  readonly resource: ResourceInfo;
  /** Undefined for an all-namespaces collection. */
  readonly namespace: string | undefined;
  /** Undefined for a collection. */
  readonly name: string | undefined;
}

/**
 * `/api/v1/services`, `/api/v1/namespaces/NS/services[/NAME]`, `/api/v1/nodes[/NAME]`, and the
 * same under `/apis/discovery.k8s.io/v1` for endpointslices. Undefined when nothing matches.
 */
export function parsePath(pathname: string): ParsedPath | undefined {
  for (const resource of Object.values(RESOURCES)) {
    if (!pathname.startsWith(`${resource.prefix}/`)) continue;
    const parts = pathname.slice(resource.prefix.length + 1).split('/').map(decodeURIComponent);
    const parsed = resource.namespaced ? namespacedPath(parts, resource) : clusterPath(parts, resource);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function namespacedPath(parts: string[], resource: ResourceInfo): ParsedPath | undefined {
  if (parts.length === 1 && parts[0] === resource.name) return { resource, namespace: undefined, name: undefined };
  if (parts[0] !== 'namespaces' || parts[2] !== resource.name || !parts[1]) return undefined;
  if (parts.length === 3) return { resource, namespace: parts[1], name: undefined };
  if (parts.length === 4 && parts[3]) return { resource, namespace: parts[1], name: parts[3] };
  return undefined;
}

function clusterPath(parts: string[], resource: ResourceInfo): ParsedPath | undefined {
  if (parts[0] !== resource.name) return undefined;
  if (parts.length === 1) return { resource, namespace: undefined, name: undefined };
  if (parts.length === 2 && parts[1]) return { resource, namespace: undefined, name: parts[1] };
  return undefined;
}
