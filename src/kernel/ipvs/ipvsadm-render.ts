/**
 * Renders IPVS operations as `ipvsadm -R` lines (the same grammar `ipvsadm -S` prints). Inputs are
 * normalized by validate.ts and checked by ipvsadm-limits.ts first; nothing here sees an unchecked value.
 */
import {
  ServiceFlag,
  type ForwardMethod, type IpvsOperation, type RealServer, type RealServerKey, type VirtualServer, type VirtualServerKey,
} from './types.ts';

const PROTOCOL_SWITCH = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' } as const;
const FORWARD_SWITCH: Partial<Record<ForwardMethod, string>> = { masq: '-m', droute: '-g', tunnel: '-i' };

function hostPort(family: 4 | 6, address: string, port: number): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function renderServiceKey(key: VirtualServerKey): string[] {
  if (key.kind === 'fwmark') return key.family === 6 ? ['-f', String(key.fwmark), '-6'] : ['-f', String(key.fwmark)];
  return [PROTOCOL_SWITCH[key.protocol], hostPort(key.family, key.address, key.port)];
}

/** IPv4 netmasks are kept as the number of the dotted quad (255.255.255.0 = 0xffffff00). */
export function netmaskToText(family: 4 | 6, netmask: number): string {
  if (family === 6) return String(netmask);
  return [24, 16, 8, 0].map((shift) => (netmask >>> shift) & 0xff).join('.');
}

/** Generic names work for every scheduler; ipvsadm prints sh-/mh- aliases back (see the parser). */
function schedFlagNames(flags: number): string[] {
  const names: string[] = [];
  if (flags & ServiceFlag.SCHED1) names.push('flag-1');
  if (flags & ServiceFlag.SCHED2) names.push('flag-2');
  if (flags & ServiceFlag.SCHED3) names.push('flag-3');
  return names;
}

function renderServiceOptions(service: VirtualServer): string[] {
  const args = ['-s', service.scheduler];
  if (service.flags & ServiceFlag.PERSISTENT) {
    args.push('-p', String(service.timeout), '-M', netmaskToText(service.key.family, service.netmask));
  }
  const sched = schedFlagNames(service.flags);
  if (sched.length > 0) args.push('-b', sched.join(','));
  if (service.flags & ServiceFlag.ONEPACKET) args.push('-o');
  return args;
}

function renderRealServer(dest: RealServerKey): string[] {
  return ['-r', hostPort(dest.family, dest.address, dest.port)];
}

function renderDestinationOptions(dest: RealServer): string[] {
  const forward = FORWARD_SWITCH[dest.forward];
  if (forward === undefined) throw new Error(`unchecked forward method ${dest.forward}`);
  return [forward, '-w', String(dest.weight), '-x', String(dest.upperThreshold), '-y', String(dest.lowerThreshold)];
}

/** One operation as the argument list of one restore line. */
export function renderOperationArgs(op: IpvsOperation): string[] {
  switch (op.op) {
    case 'addService': return ['-A', ...renderServiceKey(op.service.key), ...renderServiceOptions(op.service)];
    case 'updateService': return ['-E', ...renderServiceKey(op.service.key), ...renderServiceOptions(op.service)];
    case 'deleteService': return ['-D', ...renderServiceKey(op.key)];
    case 'addDestination':
      return ['-a', ...renderServiceKey(op.service), ...renderRealServer(op.destination), ...renderDestinationOptions(op.destination)];
    case 'updateDestination':
      return ['-e', ...renderServiceKey(op.service), ...renderRealServer(op.destination), ...renderDestinationOptions(op.destination)];
    case 'deleteDestination': return ['-d', ...renderServiceKey(op.service), ...renderRealServer(op.destination)];
  }
}

/** The restore text: one line per operation, no blank or comment lines (ipvsadm -R exits on those). */
export function renderRestore(ops: readonly IpvsOperation[]): string {
  return ops.map((op) => `${renderOperationArgs(op).join(' ')}\n`).join('');
}
