/**
 * Validation of IPVS operations before they reach the kernel (FakeIpvs, IpvsadmIpvs).
 *
 * `normalizeOperation` checks what every backend must check and returns the canonical form
 * (compressed IPv6, HASHED stripped). `checkIpvsadmLimits` adds what only ipvsadm refuses or
 * silently rewrites: ipvsadm exits 2 on such a line and stops the whole restore, so these must never
 * reach it.
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
const INT32_MAX = 0x7fffffff;
/** ipvsadm's MAX_TIMEOUT (31 days) for -p and --set. */
export const IPVSADM_MAX_TIMEOUT = 86400 * 31;

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
    address, port: parsePort(key.port, ctx),
  };
}

export function normalizeService(service: VirtualServer, operation: string): VirtualServer {
  const key = normalizeServiceKey(service.key, operation);
  const ctx = { operation, object: describeVirtualServer(key) };
  const flags = parseUint32(service.flags, ctx, 'flags') & ~ServiceFlag.HASHED;
  if ((flags & ~SETTABLE_FLAGS) !== 0) throw new ValidationError('flags', service.flags, 'unknown IP_VS_SVC_F_* bits', ctx);
  return {
    key, scheduler: parseScheduler(service.scheduler, ctx), flags,
    timeout: parseUint32(service.timeout, ctx, 'timeout'),
    netmask: parseUint32(service.netmask, ctx, 'netmask'),
  };
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
    weight: parseUint32(dest.weight, ctx, 'weight'),
    upperThreshold: parseUint32(dest.upperThreshold, ctx, 'upperThreshold'),
    lowerThreshold: parseUint32(dest.lowerThreshold, ctx, 'lowerThreshold'),
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

function checkServiceForIpvsadm(service: VirtualServer, ctx: Ctx): void {
  const { key, flags } = service;
  if ((flags & ServiceFlag.PERSISTENT) !== 0) {
    if (service.timeout < 1 || service.timeout > IPVSADM_MAX_TIMEOUT) {
      throw new ValidationError('timeout', service.timeout, `ipvsadm -p takes 1..${IPVSADM_MAX_TIMEOUT}`, ctx);
    }
    if (key.family === 6 && (service.netmask < 1 || service.netmask > 128)) {
      throw new ValidationError('netmask', service.netmask, 'IPv6 prefix length must be 1..128', ctx);
    }
  } else if (service.timeout !== 0 || service.netmask !== defaultNetmask(key.family)) {
    // ipvsadm -S prints -p/-M only for persistent services: the values would not read back.
    throw new ValidationError('timeout', service.timeout, 'ipvsadm sets timeout and netmask only on persistent services', ctx);
  }
  if ((flags & ServiceFlag.ONEPACKET) !== 0 && !(key.kind === 'address' && key.protocol === 'UDP')) {
    throw new ValidationError('flags', flags, 'ipvsadm allows one-packet scheduling only for UDP services', ctx);
  }
  if ((flags & ServiceFlag.SCHED3) !== 0 && (service.scheduler === 'sh' || service.scheduler === 'mh')) {
    // ipvsadm prints sh/mh flags by alias name and has none for flag-3: `-b ` would come back empty.
    throw new ValidationError('flags', flags, `ipvsadm cannot read back flag-3 of the ${service.scheduler} scheduler`, ctx);
  }
}

function checkDestinationForIpvsadm(service: VirtualServerKey, dest: RealServer, ctx: Ctx): void {
  if (dest.forward !== 'masq' && dest.forward !== 'droute' && dest.forward !== 'tunnel') {
    throw new ValidationError('forward', dest.forward, 'ipvsadm can only set masq, droute or tunnel', ctx);
  }
  if (dest.family !== service.family && dest.forward !== 'tunnel') {
    throw new ValidationError('family', dest.family, 'a destination of another family needs tunnel forwarding', ctx);
  }
  const servicePort = service.kind === 'address' ? service.port : 0;
  if (dest.forward !== 'masq' && dest.port !== servicePort) {
    // ipvsadm silently replaces the port of a gatewaying/tunneling server with the service port.
    throw new ValidationError('destination port', dest.port, `ipvsadm forces ${servicePort} for ${dest.forward}`, ctx);
  }
  for (const [field, value] of [['weight', dest.weight], ['upperThreshold', dest.upperThreshold], ['lowerThreshold', dest.lowerThreshold]] as const) {
    if (value > INT32_MAX) throw new ValidationError(field, value, 'ipvsadm takes 0..2147483647', ctx);
  }
}

/** What ipvsadm refuses (exit 2, aborting the restore) or cannot read back; the op is normalized. */
export function checkIpvsadmLimits(op: IpvsOperation): void {
  const operation = `ipvs.${op.op}`;
  switch (op.op) {
    case 'addService':
    case 'updateService':
      checkServiceForIpvsadm(op.service, { operation, object: describeVirtualServer(op.service.key) });
      return;
    case 'addDestination':
    case 'updateDestination':
      checkDestinationForIpvsadm(op.service, op.destination, {
        operation, object: `${describeVirtualServer(op.service)} -> ${describeRealServer(op.destination)}`,
      });
      return;
    case 'deleteService':
    case 'deleteDestination':
      return;
  }
}
