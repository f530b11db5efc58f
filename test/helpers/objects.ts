/** Builders for Kubernetes objects as the API (or a manifest) would carry them, and their model form. */
import assert from 'node:assert/strict';
import { parseEndpointSlice } from '../../src/model/endpoint-slice.ts';
import { parseService } from '../../src/model/service.ts';
import type { EndpointSliceInfo, Service } from '../../src/model/types.ts';
import type { FamilyConfig } from '../../src/desired/config.ts';

export interface ServiceSpec {
  name: string;
  namespace?: string;
  clusterIP: string;
  ports?: { name?: string; port: number; protocol?: string; nodePort?: number }[];
  affinity?: number;
  internalTrafficPolicy?: 'Cluster' | 'Local';
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  externalTrafficPolicy?: 'Cluster' | 'Local';
  externalIPs?: string[];
  /** status.loadBalancer.ingress */
  ingress?: { ip: string; ipMode?: 'VIP' | 'Proxy' }[];
  loadBalancerSourceRanges?: string[];
  healthCheckNodePort?: number;
  /** metadata.creationTimestamp (RFC 3339); absent by default, as in a manifest. */
  createdAt?: string;
}

export function serviceObject(s: ServiceSpec): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace ?? 'default', ...(s.createdAt === undefined ? {} : { creationTimestamp: s.createdAt }) },
    spec: {
      clusterIP: s.clusterIP,
      ports: s.ports ?? [{ name: 'http', port: 80, protocol: 'TCP' }],
      ...(s.affinity === undefined ? {} : { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: s.affinity } } }),
      ...(s.internalTrafficPolicy === undefined ? {} : { internalTrafficPolicy: s.internalTrafficPolicy }),
      ...(s.type === undefined ? {} : { type: s.type }),
      ...(s.externalTrafficPolicy === undefined ? {} : { externalTrafficPolicy: s.externalTrafficPolicy }),
      ...(s.externalIPs === undefined ? {} : { externalIPs: s.externalIPs }),
      ...(s.loadBalancerSourceRanges === undefined ? {} : { loadBalancerSourceRanges: s.loadBalancerSourceRanges }),
      ...(s.healthCheckNodePort === undefined ? {} : { healthCheckNodePort: s.healthCheckNodePort }),
    },
    ...(s.ingress === undefined ? {} : { status: { loadBalancer: { ingress: s.ingress } } }),
  };
}

export interface SliceSpec {
  service: string;
  name?: string;
  namespace?: string;
  ports?: { name?: string; port: number; protocol?: string }[];
  endpoints: (string | { ip: string; ready?: boolean; serving?: boolean; terminating?: boolean; node?: string })[];
  addressType?: 'IPv4' | 'IPv6';
}

export function sliceObject(s: SliceSpec): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: s.name ?? `${s.service}-abc`, namespace: s.namespace ?? 'default', labels: { 'kubernetes.io/service-name': s.service } },
    addressType: s.addressType ?? 'IPv4',
    ports: s.ports ?? [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: s.endpoints.map((e) => {
      const x = typeof e === 'string' ? { ip: e } : e;
      return {
        addresses: [x.ip],
        conditions: { ready: x.ready ?? true, serving: x.serving ?? x.ready ?? true, terminating: x.terminating ?? false },
        nodeName: x.node ?? 'node-a',
      };
    }),
  };
}

export function service(s: ServiceSpec): Service {
  const r = parseService(serviceObject(s));
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r as { value: Service }).value;
}

export function slice(s: SliceSpec): EndpointSliceInfo {
  const r = parseEndpointSlice(sliceObject(s));
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  return (r as { value: EndpointSliceInfo }).value;
}

export function familyConfig(overrides: Partial<FamilyConfig> = {}): FamilyConfig {
  return {
    family: 4, nodeName: 'node-a', nodeZone: undefined, nodeIPs: [], nodePortAddresses: { kind: 'all' }, nodePortIPs: [], scheduler: 'rr', masqueradeAll: false, masqueradeBit: 14,
    clusterCIDR: '10.244.0.0/16', excludeCIDRs: [], externalIPs: { enabled: true, cidrs: [] }, ...overrides,
  };
}
