/**
 * discovery.k8s.io/v1 EndpointSlice → model EndpointSliceInfo. FQDN slices and slices without the
 * `kubernetes.io/service-name` label are ignored (no proxier ever serves them). An endpoint whose
 * address cannot be a destination (malformed, loopback, multicast, the other family, …) and a port
 * entry that cannot be programmed are skipped on their own, as problems: the rest is served.
 */
import { ValidationError } from '../errors.ts';
import { parseServableAddress } from '../validate/special-address.ts';
import { parsePort, parseProtocol, type Ctx, type IpFamily } from '../validate/validate.ts';
import { list, objectName, oneOf, optionalBoolean, optionalString, record, type Json } from './object-fields.ts';
import { intern, internOptional } from './intern.ts';
import { okResult, parseGuarded, skipPart, type ParseResult } from './parse-result.ts';
import { describeObject } from './object-fields.ts';
import type { Endpoint, EndpointSliceInfo } from './types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

export function parseEndpointSlice(object: Json, origin?: string): ParseResult<EndpointSliceInfo> {
  const described = describeObject('EndpointSlice', object);
  return parseGuarded({ operation: 'parse EndpointSlice', object: origin ? `${described} (${origin})` : described }, (ctx) => parseOrThrow(object, ctx));
}

function parseOrThrow(object: Json, ctx: Ctx): ParseResult<EndpointSliceInfo> {
  const root = record(object, 'EndpointSlice', ctx);
  const metadata = record(root['metadata'], 'metadata', ctx);
  const namespace = objectName(metadata['namespace'] ?? 'default', 'metadata.namespace', ctx);
  const name = objectName(metadata['name'], 'metadata.name', ctx, true);
  const labels = record(metadata['labels'], 'metadata.labels', ctx);
  const owner = labels[SERVICE_NAME_LABEL];
  if (owner === undefined) return { kind: 'ignored', reason: `no ${SERVICE_NAME_LABEL} label` };
  const serviceName = objectName(owner, `metadata.labels["${SERVICE_NAME_LABEL}"]`, ctx);
  const addressType = oneOf(root['addressType'], ['IPv4', 'IPv6', 'FQDN'] as const, 'IPv4', 'addressType', ctx);
  if (addressType === 'FQDN') return { kind: 'ignored', reason: 'FQDN address type' };
  const family: IpFamily = addressType === 'IPv4' ? 4 : 6;
  const problems: ValidationError[] = [];
  const ports = parsePorts(root['ports'], ctx, problems);
  const endpoints = list(root['endpoints'], 'endpoints', ctx).flatMap((e, i) => parseEndpoint(e, i, family, ctx, problems));
  const endpointsByPort = new Map<string, Endpoint[]>();
  for (const port of ports) {
    endpointsByPort.set(`${port.name}/${port.protocol}`, endpoints.map((e) => withPort(e, port.port)));
  }
  const annotations = record(metadata['annotations'], 'metadata.annotations', ctx);
  const value = { namespace, name, serviceName, family, endpointsByPort, lastChangeTriggerTime: triggerTime(annotations, ctx) };
  return okResult(value, problems);
}

interface SlicePort { readonly name: string; readonly protocol: 'TCP' | 'UDP' | 'SCTP'; readonly port: number }

/**
 * A port with no number means "all ports"; kube-proxy cannot program that and skips it, so do we.
 * A port entry that is wrong (number out of range, unknown protocol) is skipped as a problem.
 */
function parsePorts(value: Json, ctx: Ctx, problems: ValidationError[]): SlicePort[] {
  return list(value, 'ports', ctx).flatMap((entry, i) => {
    const port = skipPart(problems, () => parseSlicePort(entry, `ports[${i}]`, ctx));
    return port === undefined ? [] : [port];
  });
}

function parseSlicePort(entry: Json, field: string, ctx: Ctx): SlicePort | undefined {
  const p = record(entry, field, ctx);
  if (p['port'] === undefined || p['port'] === null) return undefined;
  return {
    name: optionalString(p['name'], `${field}.name`, ctx) ?? '',
    protocol: parseProtocol(p['protocol'] ?? 'TCP', ctx, `${field}.protocol`),
    port: parsePort(p['port'], ctx, `${field}.port`),
  };
}

type EndpointWithoutPort = Omit<Endpoint, 'port'>;

/**
 * Every field written out, not `{ ...e, port }`: a spread copy gets `port` in a separate property
 * store, ~40 bytes more per endpoint (100k endpoints at 10k services × 10).
 */
function withPort(e: EndpointWithoutPort, port: number): Endpoint {
  return {
    address: e.address, family: e.family, port, ready: e.ready, serving: e.serving, terminating: e.terminating,
    nodeName: e.nodeName, zone: e.zone, hintZones: e.hintZones,
  };
}

function parseEndpoint(value: Json, index: number, family: IpFamily, ctx: Ctx, problems: ValidationError[]): EndpointWithoutPort[] {
  const field = `endpoints[${index}]`;
  const e = record(value, field, ctx);
  const address = skipPart(problems, () => endpointAddress(e['addresses'], field, family, ctx));
  if (address === undefined) return [];
  const conditions = record(e['conditions'], `${field}.conditions`, ctx);
  // API semantics: unknown readiness is treated as ready; serving defaults to ready.
  const ready = optionalBoolean(conditions['ready'], `${field}.conditions.ready`, ctx) ?? true;
  const serving = optionalBoolean(conditions['serving'], `${field}.conditions.serving`, ctx) ?? ready;
  const terminating = optionalBoolean(conditions['terminating'], `${field}.conditions.terminating`, ctx) ?? false;
  return [{
    address,
    family,
    ready,
    serving,
    terminating,
    nodeName: internOptional(optionalString(e['nodeName'], `${field}.nodeName`, ctx)),
    zone: internOptional(optionalString(e['zone'], `${field}.zone`, ctx)),
    hintZones: parseHints(e['hints'], field, ctx),
  }];
}

/** Upstream uses only the first address: the API says consumers may assume they are fungible. */
function endpointAddress(value: Json, field: string, family: IpFamily, ctx: Ctx): string {
  const addresses = list(value, `${field}.addresses`, ctx);
  if (addresses.length === 0) throw new ValidationError(`${field}.addresses`, addresses, 'no address', ctx);
  const parsed = parseServableAddress(addresses[0], ctx, `${field}.addresses[0]`);
  if (parsed.family !== family) throw new ValidationError(`${field}.addresses[0]`, addresses[0], `not an IPv${family} address`, ctx);
  return parsed.address;
}

function parseHints(value: Json, field: string, ctx: Ctx): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const hints = record(value, `${field}.hints`, ctx);
  if (hints['forZones'] === undefined) return undefined;
  return list(hints['forZones'], `${field}.hints.forZones`, ctx).map((z, i) => {
    const zone = record(z, `${field}.hints.forZones[${i}]`, ctx);
    const name = optionalString(zone['name'], `${field}.hints.forZones[${i}].name`, ctx);
    if (!name) throw new ValidationError(`${field}.hints.forZones[${i}].name`, zone['name'], 'zone name required', ctx);
    return intern(name);
  });
}

function triggerTime(annotations: Record<string, Json>, ctx: Ctx): number | undefined {
  const text = optionalString(annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION], `metadata.annotations["${LAST_CHANGE_TRIGGER_TIME_ANNOTATION}"]`, ctx);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  // A bad timestamp only costs a metric sample; it must not drop the slice's endpoints.
  return Number.isNaN(ms) ? undefined : ms;
}
