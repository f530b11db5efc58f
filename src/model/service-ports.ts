/**
 * spec.ports and the node ports of a Service. A port whose number is out of range is skipped on
 * its own (the other ports stay served); a node port outside the cluster's node-port range is
 * dropped to 0, "not allocated". Duplicates and unknown protocols still make the object invalid,
 * as the API server refuses them.
 */
import { ValidationError } from '../errors.ts';
import { parsePort, parseProtocol, type Ctx } from '../validate/validate.ts';
import { list, optionalString, record, type Json } from './object-fields.ts';
import { skipPart, type ModelLimits } from './parse-result.ts';
import type { ServicePort, ServiceType } from './types.ts';

type NodePortRange = ModelLimits['nodePortRange'];

export function parseServicePorts(value: Json, type: ServiceType, limits: ModelLimits, ctx: Ctx, problems: ValidationError[]): ServicePort[] {
  const entries = list(value, 'spec.ports', ctx);
  const refused: ValidationError[] = [];
  const seen = new Set<string>();
  const ports = entries.flatMap((entry, i) => {
    const port = parseOne(entry, `spec.ports[${i}]`, type, limits, ctx, refused);
    if (port === undefined) return [];
    checkUnique(port, seen, `spec.ports[${i}]`, ctx);
    return [port];
  });
  // A service whose every port was refused serves nothing: that is the object being wrong.
  if (entries.length > 0 && ports.length === 0 && refused[0] !== undefined) throw refused[0];
  problems.push(...refused);
  return ports;
}

function parseOne(entry: Json, field: string, type: ServiceType, limits: ModelLimits, ctx: Ctx, problems: ValidationError[]): ServicePort | undefined {
  const p = record(entry, field, ctx);
  const name = optionalString(p['name'], `${field}.name`, ctx) ?? '';
  const protocol = parseProtocol(p['protocol'] ?? 'TCP', ctx, `${field}.protocol`);
  const port = skipPart(problems, () => parsePort(p['port'], ctx, `${field}.port`));
  if (port === undefined) return undefined;
  // A ClusterIP service's stray nodePort means nothing (the API server clears it).
  const nodePort = type === 'ClusterIP' ? 0 : skipPart(problems, () => parseNodePort(p['nodePort'], limits.nodePortRange, `${field}.nodePort`, ctx)) ?? 0;
  return { name, protocol, port, nodePort };
}

/** As the API server: one name per protocol, and one port number per protocol (it is one virtual server). */
function checkUnique(port: ServicePort, seen: Set<string>, field: string, ctx: Ctx): void {
  const byName = `name ${port.name}/${port.protocol}`;
  const byNumber = `port ${port.port}/${port.protocol}`;
  if (seen.has(byName)) throw new ValidationError(`${field}.name`, port.name, `duplicate port name for ${port.protocol}`, ctx);
  if (seen.has(byNumber)) throw new ValidationError(`${field}.port`, port.port, `duplicate ${port.protocol} port`, ctx);
  seen.add(byName);
  seen.add(byNumber);
}

/**
 * A node port (or healthCheckNodePort): 0 or absent is "not allocated"; anything else must lie in
 * the cluster's node-port range. The API server's allocator never hands out another, and once node
 * ports are programmed one of 22 would take over the node's SSH on every node IP.
 */
export function parseNodePort(value: Json, range: NodePortRange, field: string, ctx: Ctx): number {
  if (value === undefined || value === null || value === 0) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.from || value > range.to) {
    throw new ValidationError(field, value, `must be 0 (not allocated) or within the node-port range ${range.from}-${range.to} (--service-node-port-range)`, ctx);
  }
  return value;
}
