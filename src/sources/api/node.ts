/**
 * core/v1 Node → what the proxier needs to know about its own node. Pure.
 *
 * Node IPs follow upstream's `GetNodeHostIPs`: InternalIPs before ExternalIPs, the first one is
 * primary, plus the first address of the other family when there is one. Addresses that do not
 * parse are skipped, as upstream's `ParseIPSloppy` returning nil skips them.
 */
import { ValidationError } from '../../errors.ts';
import { list, objectName, optionalString, record, type Json } from '../../model/object-fields.ts';
import { parseGuarded, type ParseResult } from '../../model/parse-result.ts';
import { parseAddress, parseCidr, type Ctx, type IpFamily } from '../../validate/validate.ts';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** The cluster autoscaler taints a node it is about to remove; upstream kube-proxy then fails its health check. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

export interface NodeInfo {
  readonly name: string;
  /** Primary first; at most one per family. Empty when the node reports no usable address. */
  readonly ips: readonly string[];
  readonly zone: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly podCIDRs: readonly string[];
  /** metadata.deletionTimestamp is set: the node object is being deleted. */
  readonly deleting: boolean;
  readonly toBeDeletedByClusterAutoscaler: boolean;
}

export function parseNode(object: Json): ParseResult<NodeInfo> {
  const name = isName(object);
  return parseGuarded({ operation: 'parse Node', object: `Node ${name ?? '<unnamed>'}` }, (ctx) => ({ kind: 'ok', value: parseOrThrow(object, ctx) }));
}

/** Upstream's node eligibility for load-balancer traffic: not being deleted, not being scaled away. */
export function nodeEligible(node: NodeInfo): boolean {
  return !node.deleting && !node.toBeDeletedByClusterAutoscaler;
}

function parseOrThrow(object: Json, ctx: Ctx): NodeInfo {
  const root = record(object, 'Node', ctx);
  const metadata = record(root['metadata'], 'metadata', ctx);
  const spec = record(root['spec'], 'spec', ctx);
  const status = record(root['status'], 'status', ctx);
  const labels = stringMap(metadata['labels'], 'metadata.labels', ctx);
  return {
    name: objectName(metadata['name'], 'metadata.name', ctx, true),
    ips: hostIPs(list(status['addresses'], 'status.addresses', ctx), ctx),
    zone: labels[ZONE_LABEL],
    labels,
    podCIDRs: list(spec['podCIDRs'], 'spec.podCIDRs', ctx).map((c, i) => parseCidr(c, ctx, `spec.podCIDRs[${i}]`).cidr),
    deleting: optionalString(metadata['deletionTimestamp'], 'metadata.deletionTimestamp', ctx) !== undefined,
    toBeDeletedByClusterAutoscaler: list(spec['taints'], 'spec.taints', ctx)
      .some((t, i) => record(t, `spec.taints[${i}]`, ctx)['key'] === TO_BE_DELETED_TAINT),
  };
}

function hostIPs(addresses: readonly Json[], ctx: Ctx): string[] {
  const typed = addresses.map((a, i) => record(a, `status.addresses[${i}]`, ctx));
  const candidates = ['InternalIP', 'ExternalIP'].flatMap((type) =>
    typed.filter((a) => a['type'] === type).flatMap((a) => usable(a['address'], ctx)));
  const primary = candidates[0];
  if (primary === undefined) return [];
  const secondary = candidates.find((c) => c.family !== primary.family);
  return secondary === undefined ? [primary.address] : [primary.address, secondary.address];
}

function usable(value: Json, ctx: Ctx): { address: string; family: IpFamily }[] {
  try {
    return [parseAddress(value, ctx)];
  } catch (error) {
    if (error instanceof ValidationError) return [];
    throw error;
  }
}

function stringMap(value: Json, field: string, ctx: Ctx): Record<string, string> {
  const raw = record(value, field, ctx);
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new ValidationError(`${field}["${k}"]`, v, 'must be a string', ctx);
  }
  return raw as Record<string, string>;
}

function isName(object: Json): string | undefined {
  const metadata = typeof object === 'object' && object !== null ? (object as Record<string, unknown>)['metadata'] : undefined;
  const name = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}
