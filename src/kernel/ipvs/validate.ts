/**
 * The one validator of IPVS operations: every backend (netlink, ipvsadm, FakeIpvs) calls
 * `normalizeOperation` before anything reaches the kernel, so a value gets the same outcome
 * whichever backend runs (test/contract/ipvs.ts). It returns the canonical form (compressed IPv6,
 * HASHED stripped). What only ipvsadm additionally refuses lives in ipvsadm-limits.ts.
 */
import { ValidationError } from '../../errors.ts';
import type { Ctx, IpFamily } from '../../validate/validate.ts';
import { parseAddress, parsePort, parseProtocol, parseScheduler, parseUint32 } from '../../validate/validate.ts';
import {
  ServiceFlag, describeRealServer, describeVirtualServer,
  type IpvsOperation, type RealServer, type RealServerKey, type VirtualServer, type VirtualServerKey,
} from './types.ts';

const FORWARD_METHODS = ['masq', 'local', 'tunnel', 'droute', 'bypass'] as const;
/** Flags a caller may set; HASHED is kernel-internal and dropped. */
const SETTABLE_FLAGS = ServiceFlag.PERSISTENT | ServiceFlag.ONEPACKET | ServiceFlag.SCHED1 | ServiceFlag.SCHED2 | ServiceFlag.SCHED3;
/** The kernel keeps weights and thresholds as int (ip_vs_dest_user_kern); larger values turn negative. */
export const INT32_MAX = 0x7fffffff;

export function defaultNetmask(family: IpFamily): number {
  return family === 4 ? 0xffffffff : 128;
}

function checkFamily(address: string, family: unknown, ctx: Ctx, field: string): { address: string; family: IpFamily } {
  const parsed = parseAddress(address, ctx, field);
  if (parsed.family !== family) throw new ValidationError('family', family, `${field} ${address} is IPv${parsed.family}`, ctx);
  return parsed;
}

export function normalizeServiceKey(key: VirtualServerKey, operation: string): VirtualServerKey {
  const ctx = { operation, object: describeVirtualServer(key) };
  if (key.family !== 4 && key.family !== 6) throw new ValidationError('family', key.family, 'must be 4 or 6', ctx);
  if (key.kind === 'fwmark') {
    const fwmark = parseUint32(key.fwmark, ctx, 'fwmark');
    // fwmark 0 means "address-based service" to the kernel.
    if (fwmark === 0) throw new ValidationError('fwmark', fwmark, 'must be 1..4294967295', ctx);
    return { kind: 'fwmark', family: key.family, fwmark };
  }
  const { address } = checkFamily(key.address, key.family, ctx, 'address');
  return {
    kind: 'address', family: key.family, protocol: parseProtocol(key.protocol, ctx),
    // Port 0 names a persistent "all ports" service; normalizeService refuses it otherwise.
    address, port: parsePort(key.port, ctx, 'port', true),
  };
}

export function normalizeService(service: VirtualServer, operation: string): VirtualServer {
  const key = normalizeServiceKey(service.key, operation);
  const ctx = { operation, object: describeVirtualServer(key) };
  const flags = parseUint32(service.flags, ctx, 'flags') & ~ServiceFlag.HASHED;
  if ((flags & ~SETTABLE_FLAGS) !== 0) throw new ValidationError('flags', service.flags, 'unknown IP_VS_SVC_F_* bits', ctx);
  if (key.kind === 'address' && key.port === 0 && (flags & ServiceFlag.PERSISTENT) === 0) {
    // A port-0 service catches every port: only meaningful with persistence (ipvsadm refuses it too).
    throw new ValidationError('port', 0, 'port 0 needs a persistent service', ctx);
  }
  const netmask = parseUint32(service.netmask, ctx, 'netmask');
  if (key.family === 6 && (netmask < 1 || netmask > 128)) {
    // ip_vs_add_service/edit_service: an IPv6 "netmask" is a prefix length, EINVAL otherwise.
    throw new ValidationError('netmask', service.netmask, 'IPv6 netmask is a prefix length 1..128', ctx);
  }
  return {
    key, scheduler: parseScheduler(service.scheduler, ctx), flags,
    timeout: parseUint32(service.timeout, ctx, 'timeout'), netmask,
  };
}

function parseInt32(value: unknown, ctx: Ctx, field: string): number {
  const v = parseUint32(value, ctx, field);
  if (v > INT32_MAX) throw new ValidationError(field, value, `must be at most ${INT32_MAX}`, ctx);
  return v;
}

export function normalizeRealServerKey(dest: RealServerKey, ctx: Ctx): RealServerKey {
  const { address, family } = checkFamily(dest.address, dest.family, ctx, 'destination address');
  return { family, address, port: parsePort(dest.port, ctx, 'destination port', true) };
}

export function normalizeRealServer(dest: RealServer, ctx: Ctx): RealServer {
  const key = normalizeRealServerKey(dest, ctx);
  if (!(FORWARD_METHODS as readonly string[]).includes(dest.forward)) {
    throw new ValidationError('forward', dest.forward, `must be one of ${FORWARD_METHODS.join(', ')}`, ctx);
  }
  return {
    ...key, forward: dest.forward,
    weight: parseInt32(dest.weight, ctx, 'weight'),
    upperThreshold: parseInt32(dest.upperThreshold, ctx, 'upperThreshold'),
    lowerThreshold: parseInt32(dest.lowerThreshold, ctx, 'lowerThreshold'),
  };
}

/** Canonical copy of an operation; throws ValidationError naming the object. */
export function normalizeOperation(op: IpvsOperation): IpvsOperation {
  const operation = `ipvs.${op.op}`;
  switch (op.op) {
    case 'addService':
    case 'updateService':
      return { op: op.op, service: normalizeService(op.service, operation) };
    case 'deleteService':
      return { op: op.op, key: normalizeServiceKey(op.key, operation) };
    case 'addDestination':
    case 'updateDestination': {
      const service = normalizeServiceKey(op.service, operation);
      const ctx = { operation, object: `${describeVirtualServer(service)} -> ${describeRealServer(op.destination)}` };
      return { op: op.op, service, destination: normalizeRealServer(op.destination, ctx) };
    }
    case 'deleteDestination': {
      const service = normalizeServiceKey(op.service, operation);
      const ctx = { operation, object: `${describeVirtualServer(service)} -> ${describeRealServer(op.destination)}` };
      return { op: op.op, service, destination: normalizeRealServerKey(op.destination, ctx) };
    }
  }
}
