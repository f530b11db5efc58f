/**
 * core/v1 Service → model Service. Headless and ExternalName services are ignored, as upstream does;
 * anything malformed is `invalid` with an error naming the object and field, and only that object is
 * skipped.
 */
import { ValidationError } from '../errors.ts';
import { parseAddress, parseCidr, parsePort, parseProtocol, type Ctx, type IpFamily } from '../validate/validate.ts';
import {
  describeObject, integerInRange, list, objectName, oneOf, optionalString, record, type Json,
} from './object-fields.ts';
import { parseGuarded, type ParseResult } from './parse-result.ts';
import type {
  LoadBalancerIngress, Service, ServicePort, ServiceType, SessionAffinity, TrafficPolicy,
} from './types.ts';

/** Upstream default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours); max one day. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
const MAX_AFFINITY_TIMEOUT_SECONDS = 86_400;
const SERVICE_TYPES: readonly (ServiceType | 'ExternalName')[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const POLICIES: readonly TrafficPolicy[] = ['Cluster', 'Local'];

export function parseService(object: Json, origin?: string): ParseResult<Service> {
  const described = describeObject('Service', object);
  return parseGuarded({ operation: 'parse Service', object: origin ? `${described} (${origin})` : described }, (ctx) => parseServiceOrThrow(object, ctx));
}

function parseServiceOrThrow(object: Json, ctx: Ctx): ParseResult<Service> {
  const root = record(object, 'Service', ctx);
  const metadata = record(root['metadata'], 'metadata', ctx);
  const spec = record(root['spec'], 'spec', ctx);
  const namespace = objectName(metadata['namespace'] ?? 'default', 'metadata.namespace', ctx);
  const name = objectName(metadata['name'], 'metadata.name', ctx);
  const type = oneOf(spec['type'], SERVICE_TYPES, 'ClusterIP', 'spec.type', ctx);
  if (type === 'ExternalName') return { kind: 'ignored', reason: 'ExternalName service' };
  if (spec['clusterIP'] === 'None') return { kind: 'ignored', reason: 'headless service' };
  const clusterIPs = parseClusterIPs(spec, ctx);
  if (clusterIPs.length === 0) throw new ValidationError('spec.clusterIP', spec['clusterIP'], 'no cluster IP assigned', ctx);
  const status = record(root['status'], 'status', ctx);
  return {
    kind: 'ok',
    value: {
      namespace,
      name,
      type,
      clusterIPs,
      ports: parsePorts(spec['ports'], type, ctx),
      sessionAffinity: parseAffinity(spec, ctx),
      externalIPs: addresses(spec['externalIPs'], 'spec.externalIPs', ctx),
      loadBalancerIngress: parseIngress(record(status['loadBalancer'], 'status.loadBalancer', ctx)['ingress'], ctx),
      loadBalancerSourceRanges: list(spec['loadBalancerSourceRanges'], 'spec.loadBalancerSourceRanges', ctx)
        .map((v, i) => parseCidr(typeof v === 'string' ? v.trim() : v, ctx, `spec.loadBalancerSourceRanges[${i}]`).cidr),
      externalTrafficPolicy: oneOf(spec['externalTrafficPolicy'], POLICIES, 'Cluster', 'spec.externalTrafficPolicy', ctx),
      internalTrafficPolicy: oneOf(spec['internalTrafficPolicy'], POLICIES, 'Cluster', 'spec.internalTrafficPolicy', ctx),
      healthCheckNodePort: integerInRange(spec['healthCheckNodePort'], 0, 65535, 0, 'spec.healthCheckNodePort', ctx),
    },
  };
}

/** spec.clusterIPs (dual-stack) wins over spec.clusterIP; at most one address per family. */
function parseClusterIPs(spec: Record<string, Json>, ctx: Ctx): string[] {
  const raw = list(spec['clusterIPs'], 'spec.clusterIPs', ctx);
  const single = optionalString(spec['clusterIP'], 'spec.clusterIP', ctx);
  const texts = raw.length > 0 ? raw : single ? [single] : [];
  // Name the field the manifest actually has, so the error points at the right line.
  const fieldOf = (i: number): string => (raw.length > 0 ? `spec.clusterIPs[${i}]` : 'spec.clusterIP');
  const seen = new Set<IpFamily>();
  return texts.map((text, i) => {
    const { address, family } = parseAddress(text, ctx, fieldOf(i));
    if (seen.has(family)) throw new ValidationError(fieldOf(i), text, `two IPv${family} cluster IPs`, ctx);
    seen.add(family);
    return address;
  });
}

function parsePorts(value: Json, type: ServiceType, ctx: Ctx): ServicePort[] {
  const seen = new Set<string>();
  const numbers = new Set<string>();
  return list(value, 'spec.ports', ctx).map((entry, i) => {
    const field = `spec.ports[${i}]`;
    const p = record(entry, field, ctx);
    const name = optionalString(p['name'], `${field}.name`, ctx) ?? '';
    const protocol = parseProtocol(p['protocol'] ?? 'TCP', ctx, `${field}.protocol`);
    const key = `${name}/${protocol}`;
    if (seen.has(key)) throw new ValidationError(`${field}.name`, name, `duplicate port name for ${protocol}`, ctx);
    seen.add(key);
    const port = parsePort(p['port'], ctx, `${field}.port`);
    // As the API server does: two ports on one protocol/number would claim the same virtual server.
    if (numbers.has(`${port}/${protocol}`)) throw new ValidationError(`${field}.port`, port, `duplicate ${protocol} port`, ctx);
    numbers.add(`${port}/${protocol}`);
    const nodePort = type === 'ClusterIP' ? 0 : integerInRange(p['nodePort'], 0, 65535, 0, `${field}.nodePort`, ctx);
    return { name, protocol, port, nodePort };
  });
}

function parseAffinity(spec: Record<string, Json>, ctx: Ctx): SessionAffinity {
  const kind = oneOf(spec['sessionAffinity'], ['None', 'ClientIP'] as const, 'None', 'spec.sessionAffinity', ctx);
  if (kind === 'None') return { kind };
  const config = record(spec['sessionAffinityConfig'], 'spec.sessionAffinityConfig', ctx);
  const clientIP = record(config['clientIP'], 'spec.sessionAffinityConfig.clientIP', ctx);
  const timeoutSeconds = integerInRange(
    clientIP['timeoutSeconds'], 1, MAX_AFFINITY_TIMEOUT_SECONDS, DEFAULT_AFFINITY_TIMEOUT_SECONDS,
    'spec.sessionAffinityConfig.clientIP.timeoutSeconds', ctx,
  );
  return { kind, timeoutSeconds };
}

function addresses(value: Json, field: string, ctx: Ctx): string[] {
  return list(value, field, ctx).map((v, i) => parseAddress(v, ctx, `${field}[${i}]`).address);
}

function parseIngress(value: Json, ctx: Ctx): LoadBalancerIngress[] {
  return list(value, 'status.loadBalancer.ingress', ctx).flatMap((entry, i) => {
    const field = `status.loadBalancer.ingress[${i}]`;
    const ingress = record(entry, field, ctx);
    if (ingress['ip'] === undefined) return []; // hostname-only ingress: nothing to bind
    return [{
      ip: parseAddress(ingress['ip'], ctx, `${field}.ip`).address,
      ipMode: oneOf(ingress['ipMode'], ['VIP', 'Proxy'] as const, 'VIP', `${field}.ipMode`, ctx),
    }];
  });
}
