/**
 * core/v1 Service → model Service. Headless and ExternalName services are ignored, as upstream does;
 * anything malformed is `invalid` with an error naming the object and field, and only that object is
 * skipped. A part that can be refused on its own (one of two cluster IPs, an externalIP, an ingress
 * IP, a port, a node port, the creation time) is a `problem` instead: the rest is still served.
 */
import { ValidationError } from '../errors.ts';
import { parseServableAddress } from '../validate/special-address.ts';
import { parseCidr, type Ctx, type IpFamily } from '../validate/validate.ts';
import {
  describeObject, integerInRange, list, objectName, oneOf, optionalString, optionalTimestamp, record, type Json,
} from './object-fields.ts';
import { DEFAULT_MODEL_LIMITS, okResult, parseGuarded, skipPart, type ModelLimits, type ParseResult } from './parse-result.ts';
import { parseNodePort, parseServicePorts } from './service-ports.ts';
import type { LoadBalancerIngress, Service, ServiceType, SessionAffinity, TrafficPolicy } from './types.ts';

/** Upstream default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours); max one day. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
const MAX_AFFINITY_TIMEOUT_SECONDS = 86_400;
const SERVICE_TYPES: readonly (ServiceType | 'ExternalName')[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const POLICIES: readonly TrafficPolicy[] = ['Cluster', 'Local'];

export function parseService(object: Json, origin?: string, limits: ModelLimits = DEFAULT_MODEL_LIMITS): ParseResult<Service> {
  const described = describeObject('Service', object);
  return parseGuarded({ operation: 'parse Service', object: origin ? `${described} (${origin})` : described }, (ctx) => parseServiceOrThrow(object, origin, limits, ctx));
}

function parseServiceOrThrow(object: Json, origin: string | undefined, limits: ModelLimits, ctx: Ctx): ParseResult<Service> {
  const root = record(object, 'Service', ctx);
  const metadata = record(root['metadata'], 'metadata', ctx);
  const spec = record(root['spec'], 'spec', ctx);
  const namespace = objectName(metadata['namespace'] ?? 'default', 'metadata.namespace', ctx);
  const name = objectName(metadata['name'], 'metadata.name', ctx);
  const type = oneOf(spec['type'], SERVICE_TYPES, 'ClusterIP', 'spec.type', ctx);
  if (type === 'ExternalName') return { kind: 'ignored', reason: 'ExternalName service' };
  if (spec['clusterIP'] === 'None') return { kind: 'ignored', reason: 'headless service' };
  const problems: ValidationError[] = [];
  const clusterIPs = parseClusterIPs(spec, ctx, problems);
  const status = record(root['status'], 'status', ctx);
  const value: Service = {
    namespace,
    name,
    // A bad timestamp only costs the service its seniority in a conflict (desired/index.ts).
    creationTimestamp: skipPart(problems, () => optionalTimestamp(metadata['creationTimestamp'], 'metadata.creationTimestamp', ctx)),
    origin,
    type,
    clusterIPs,
    ports: parseServicePorts(spec['ports'], type, limits, ctx, problems),
    sessionAffinity: parseAffinity(spec, ctx),
    externalIPs: servableAddresses(spec['externalIPs'], 'spec.externalIPs', ctx, problems),
    loadBalancerIngress: parseIngress(record(status['loadBalancer'], 'status.loadBalancer', ctx)['ingress'], ctx, problems),
    loadBalancerSourceRanges: list(spec['loadBalancerSourceRanges'], 'spec.loadBalancerSourceRanges', ctx)
      .map((v, i) => parseCidr(typeof v === 'string' ? v.trim() : v, ctx, `spec.loadBalancerSourceRanges[${i}]`).cidr),
    externalTrafficPolicy: oneOf(spec['externalTrafficPolicy'], POLICIES, 'Cluster', 'spec.externalTrafficPolicy', ctx),
    internalTrafficPolicy: oneOf(spec['internalTrafficPolicy'], POLICIES, 'Cluster', 'spec.internalTrafficPolicy', ctx),
    healthCheckNodePort: skipPart(problems, () => parseNodePort(spec['healthCheckNodePort'], limits.nodePortRange, 'spec.healthCheckNodePort', ctx)) ?? 0,
  };
  return okResult(value, problems);
}

/**
 * spec.clusterIPs (dual-stack) wins over spec.clusterIP; at most one address per family. One bad
 * entry is skipped while another remains; with none left the service has nothing to be reached on.
 */
function parseClusterIPs(spec: Record<string, Json>, ctx: Ctx, problems: ValidationError[]): string[] {
  const raw = list(spec['clusterIPs'], 'spec.clusterIPs', ctx);
  const single = optionalString(spec['clusterIP'], 'spec.clusterIP', ctx);
  const texts = raw.length > 0 ? raw : single ? [single] : [];
  if (texts.length === 0) throw new ValidationError('spec.clusterIP', spec['clusterIP'], 'no cluster IP assigned', ctx);
  // Name the field the manifest actually has, so the error points at the right line.
  const fieldOf = (i: number): string => (raw.length > 0 ? `spec.clusterIPs[${i}]` : 'spec.clusterIP');
  const refused: ValidationError[] = [];
  const parsed = texts.flatMap((text, i) => {
    const p = skipPart(refused, () => parseServableAddress(text, ctx, fieldOf(i)));
    return p === undefined ? [] : [{ ...p, text, field: fieldOf(i) }];
  });
  if (parsed.length === 0 && refused[0] !== undefined) throw refused[0];
  problems.push(...refused);
  const seen = new Set<IpFamily>();
  for (const { family, text, field } of parsed) {
    if (seen.has(family)) throw new ValidationError(field, text, `two IPv${family} cluster IPs`, ctx);
    seen.add(family);
  }
  return parsed.map((p) => p.address);
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

/** Each address on its own: a bad one is a problem, the others are kept. */
function servableAddresses(value: Json, field: string, ctx: Ctx, problems: ValidationError[]): string[] {
  return list(value, field, ctx).flatMap((v, i) => {
    const parsed = skipPart(problems, () => parseServableAddress(v, ctx, `${field}[${i}]`));
    return parsed === undefined ? [] : [parsed.address];
  });
}

function parseIngress(value: Json, ctx: Ctx, problems: ValidationError[]): LoadBalancerIngress[] {
  return list(value, 'status.loadBalancer.ingress', ctx).flatMap((entry, i) => {
    const field = `status.loadBalancer.ingress[${i}]`;
    const ingress = record(entry, field, ctx);
    if (ingress['ip'] === undefined) return []; // hostname-only ingress: nothing to bind
    const ipMode = oneOf(ingress['ipMode'], ['VIP', 'Proxy'] as const, 'VIP', `${field}.ipMode`, ctx);
    const ip = skipPart(problems, () => parseServableAddress(ingress['ip'], ctx, `${field}.ip`));
    return ip === undefined ? [] : [{ ip: ip.address, ipMode }];
  });
}
