/**
 * IPVS generic netlink codec (include/uapi/linux/ip_vs.h, net/netfilter/ipvs/ip_vs_ctl.c).
 * Pure functions: validated desired state -> attribute bytes, and dump replies -> status objects.
 */
import ipaddr from 'ipaddr.js';
import { ProxierError, type ErrorContext } from '../../errors.ts';
import { AttributeWriter, type AttributeMap } from '../netlink/attributes.ts';
import type { IpFamily, Protocol } from '../../validate/validate.ts';
import { normalizeOperation } from './validate.ts';
import {
  ServiceFlag, describeRealServer, describeVirtualServer,
  type ForwardMethod, type IpvsOperation, type IpvsStats, type RealServer, type RealServerKey, type RealServerStatus,
  type VirtualServer, type VirtualServerKey, type VirtualServerStatus,
} from './types.ts';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IpvsCmd = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  SET_CONFIG: 12, GET_CONFIG: 13, GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;

export const IpvsCmdAttr = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;

export const IpvsSvcAttr = {
  AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9,
  STATS: 10, PE_NAME: 11, STATS64: 12,
} as const;

export const IpvsDestAttr = {
  ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8,
  PERSIST_CONNS: 9, STATS: 10, ADDR_FAMILY: 11, STATS64: 12,
} as const;

/** Same numbering in IPVS_*_ATTR_STATS (u32 counters, u64 bytes) and STATS64 (all u64). */
export const IpvsStatsAttr = { CONNS: 1, INPKTS: 2, OUTPKTS: 3, INBYTES: 4, OUTBYTES: 5 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
const IPPROTO: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const FORWARD: Record<ForwardMethod, number> = { masq: 0, local: 1, tunnel: 2, droute: 3, bypass: 4 };
/** IP_VS_CONN_F_FWD_MASK */
const FWD_MASK = 0x7;

function familyToAf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

function afToFamily(af: number | undefined, context: ErrorContext): IpFamily {
  if (af === AF_INET) return 4;
  if (af === AF_INET6) return 6;
  throw new ProxierError('ERR_NETLINK_MALFORMED', `unexpected address family ${String(af)}`, context);
}

/** nf_inet_addr: 16 bytes, an IPv4 address in the first 4 (network order). */
export function encodeAddress(address: string, family: IpFamily): Buffer {
  const out = Buffer.alloc(16);
  const bytes = family === 4 ? ipaddr.IPv4.parse(address).toByteArray() : ipaddr.IPv6.parse(address).toByteArray();
  out.set(bytes);
  return out;
}

export function decodeAddress(raw: Buffer | undefined, family: IpFamily, context: ErrorContext): string {
  const need = family === 4 ? 4 : 16;
  if (raw === undefined || raw.length < need) throw new ProxierError('ERR_NETLINK_MALFORMED', 'missing or short address attribute', context);
  return ipaddr.fromByteArray([...raw.subarray(0, need)]).toString();
}

// ---- encoding ----

/** The service key attributes: AF + FWMARK, or AF + PROTOCOL + ADDR + PORT (network order). */
function writeServiceKey(w: AttributeWriter, key: VirtualServerKey): void {
  w.u16(IpvsSvcAttr.AF, familyToAf(key.family));
  if (key.kind === 'fwmark') {
    w.u32(IpvsSvcAttr.FWMARK, key.fwmark);
    return;
  }
  w.u16(IpvsSvcAttr.PROTOCOL, IPPROTO[key.protocol]);
  w.bytes(IpvsSvcAttr.ADDR, encodeAddress(key.address, key.family));
  w.be16(IpvsSvcAttr.PORT, key.port);
}

/**
 * NETMASK is a `__be32` the kernel copies raw: an IPv4 mask is in network order (ipvsadm writes
 * inet_addr()), an IPv6 "mask" is a prefix length the kernel compares as a host-order integer.
 */
function writeNetmask(w: AttributeWriter, family: IpFamily, netmask: number): void {
  if (family === 4) w.be32(IpvsSvcAttr.NETMASK, netmask);
  else w.u32(IpvsSvcAttr.NETMASK, netmask);
}

/** The full service (NEW/SET_SERVICE need sched, flags, timeout and netmask). Input must be validated. */
export function writeService(w: AttributeWriter, service: VirtualServer): void {
  writeServiceKey(w, service.key);
  w.string(IpvsSvcAttr.SCHED_NAME, service.scheduler);
  // struct ip_vs_flags { u32 flags; u32 mask; }. HASHED is masked out: the kernel copies the flags on
  // NEW_SERVICE and ip_vs_svc_hash() refuses to hash a service that already claims HASHED.
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE((service.flags & ~ServiceFlag.HASHED) >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4);
  w.bytes(IpvsSvcAttr.FLAGS, flags);
  w.u32(IpvsSvcAttr.TIMEOUT, service.timeout);
  writeNetmask(w, service.key.family, service.netmask);
}

function writeDestinationKey(w: AttributeWriter, dest: RealServerKey): void {
  w.bytes(IpvsDestAttr.ADDR, encodeAddress(dest.address, dest.family));
  w.be16(IpvsDestAttr.PORT, dest.port);
  w.u16(IpvsDestAttr.ADDR_FAMILY, familyToAf(dest.family));
}

/** The full destination (NEW/SET_DEST need fwd method, weight and both thresholds). */
export function writeDestination(w: AttributeWriter, dest: RealServer): void {
  writeDestinationKey(w, dest);
  w.u32(IpvsDestAttr.FWD_METHOD, FORWARD[dest.forward]);
  w.u32(IpvsDestAttr.WEIGHT, dest.weight);
  w.u32(IpvsDestAttr.U_THRESH, dest.upperThreshold);
  w.u32(IpvsDestAttr.L_THRESH, dest.lowerThreshold);
}

export function encodeServiceKeyAttributes(key: VirtualServerKey): Buffer {
  return new AttributeWriter().nested(IpvsCmdAttr.SERVICE, (w) => writeServiceKey(w, key)).toBuffer();
}

export interface EncodedIpvsCommand {
  readonly cmd: number;
  readonly attributes: Buffer;
  readonly context: ErrorContext;
}

const OPERATION_NAME: Record<IpvsOperation['op'], string> = {
  addService: 'ipvs.addService', updateService: 'ipvs.updateService', deleteService: 'ipvs.deleteService',
  addDestination: 'ipvs.addDestination', updateDestination: 'ipvs.updateDestination', deleteDestination: 'ipvs.deleteDestination',
};

/** What an operation's errors name: `ipvs.addDestination` on `TCP 10.96.0.1:80 -> 10.244.0.5:8080`. */
export function operationContext(op: IpvsOperation): ErrorContext {
  switch (op.op) {
    case 'addService':
    case 'updateService':
      return { operation: OPERATION_NAME[op.op], object: describeVirtualServer(op.service.key) };
    case 'deleteService':
      return { operation: OPERATION_NAME[op.op], object: describeVirtualServer(op.key) };
    case 'addDestination':
    case 'updateDestination':
    case 'deleteDestination':
      return { operation: OPERATION_NAME[op.op], object: `${describeVirtualServer(op.service)} -> ${describeRealServer(op.destination)}` };
  }
}

/** Validates (validate.ts, shared by every backend) and encodes one write. */
export function encodeOperation(input: IpvsOperation): EncodedIpvsCommand {
  const op = normalizeOperation(input);
  const ctx = operationContext(op);
  const w = new AttributeWriter();
  switch (op.op) {
    case 'addService':
    case 'updateService':
      w.nested(IpvsCmdAttr.SERVICE, (s) => writeService(s, op.service));
      return { cmd: op.op === 'addService' ? IpvsCmd.NEW_SERVICE : IpvsCmd.SET_SERVICE, attributes: w.toBuffer(), context: ctx };
    case 'deleteService':
      w.nested(IpvsCmdAttr.SERVICE, (s) => writeServiceKey(s, op.key));
      return { cmd: IpvsCmd.DEL_SERVICE, attributes: w.toBuffer(), context: ctx };
    case 'addDestination':
    case 'updateDestination':
      w.nested(IpvsCmdAttr.SERVICE, (s) => writeServiceKey(s, op.service));
      w.nested(IpvsCmdAttr.DEST, (d) => writeDestination(d, op.destination));
      return { cmd: op.op === 'addDestination' ? IpvsCmd.NEW_DEST : IpvsCmd.SET_DEST, attributes: w.toBuffer(), context: ctx };
    case 'deleteDestination':
      w.nested(IpvsCmdAttr.SERVICE, (s) => writeServiceKey(s, op.service));
      w.nested(IpvsCmdAttr.DEST, (d) => writeDestinationKey(d, op.destination));
      return { cmd: IpvsCmd.DEL_DEST, attributes: w.toBuffer(), context: ctx };
  }
}

// ---- decoding ----

function num(value: bigint | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/** STATS64 when the kernel sends it (all u64), else STATS (u32 counters, u64 byte counts). */
export function decodeStats(parent: AttributeMap, stats64Type: number, statsType: number): IpvsStats {
  const s64 = parent.nested(stats64Type);
  if (s64 !== undefined) {
    return {
      connections: num(s64.u64(IpvsStatsAttr.CONNS)),
      packetsIn: num(s64.u64(IpvsStatsAttr.INPKTS)),
      packetsOut: num(s64.u64(IpvsStatsAttr.OUTPKTS)),
      bytesIn: num(s64.u64(IpvsStatsAttr.INBYTES)),
      bytesOut: num(s64.u64(IpvsStatsAttr.OUTBYTES)),
    };
  }
  const s = parent.nested(statsType);
  return {
    connections: num(s?.u32(IpvsStatsAttr.CONNS)),
    packetsIn: num(s?.u32(IpvsStatsAttr.INPKTS)),
    packetsOut: num(s?.u32(IpvsStatsAttr.OUTPKTS)),
    bytesIn: num(s?.u64(IpvsStatsAttr.INBYTES)),
    bytesOut: num(s?.u64(IpvsStatsAttr.OUTBYTES)),
  };
}

const PROTOCOL_BY_NUMBER = new Map<number, Protocol>(Object.entries(IPPROTO).map(([name, n]) => [n, name as Protocol]));
const FORWARD_BY_NUMBER = new Map<number, ForwardMethod>(Object.entries(FORWARD).map(([name, n]) => [n, name as ForwardMethod]));

/** One IPVS_CMD_ATTR_SERVICE of a GET_SERVICE reply. */
export function decodeService(svc: AttributeMap): VirtualServerStatus {
  const context = { operation: 'ipvs.listServices' };
  const family = afToFamily(svc.u16(IpvsSvcAttr.AF), context);
  const fwmark = svc.u32(IpvsSvcAttr.FWMARK) ?? 0;
  let key: VirtualServerKey;
  if (fwmark !== 0) {
    key = { kind: 'fwmark', family, fwmark };
  } else {
    const protocolNumber = svc.u16(IpvsSvcAttr.PROTOCOL);
    const protocol = protocolNumber === undefined ? undefined : PROTOCOL_BY_NUMBER.get(protocolNumber);
    if (protocol === undefined) throw new ProxierError('ERR_NETLINK_MALFORMED', `unsupported IPVS protocol ${String(protocolNumber)}`, context);
    key = { kind: 'address', family, protocol, address: decodeAddress(svc.get(IpvsSvcAttr.ADDR), family, context), port: svc.be16(IpvsSvcAttr.PORT) ?? 0 };
  }
  const flags = svc.get(IpvsSvcAttr.FLAGS);
  return {
    key,
    scheduler: svc.string(IpvsSvcAttr.SCHED_NAME) ?? '',
    // Dumps report HASHED, which is kernel bookkeeping and never desired state.
    flags: flags !== undefined && flags.length >= 4 ? (flags.readUInt32LE(0) & ~ServiceFlag.HASHED) >>> 0 : 0,
    timeout: svc.u32(IpvsSvcAttr.TIMEOUT) ?? 0,
    netmask: (family === 4 ? svc.be32(IpvsSvcAttr.NETMASK) : svc.u32(IpvsSvcAttr.NETMASK)) ?? 0,
    stats: decodeStats(svc, IpvsSvcAttr.STATS64, IpvsSvcAttr.STATS),
  };
}

/** One IPVS_CMD_ATTR_DEST of a GET_DEST reply. */
export function decodeDestination(dest: AttributeMap, serviceFamily: IpFamily): RealServerStatus {
  const context = { operation: 'ipvs.listDestinations' };
  // ADDR_FAMILY exists since Linux 4.19 (mixed-family tunnel dests); older kernels imply the service's.
  const af = dest.u16(IpvsDestAttr.ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : afToFamily(af, context);
  const fwd = (dest.u32(IpvsDestAttr.FWD_METHOD) ?? 0) & FWD_MASK;
  const forward = FORWARD_BY_NUMBER.get(fwd);
  if (forward === undefined) throw new ProxierError('ERR_NETLINK_MALFORMED', `unknown IPVS forwarding method ${fwd}`, context);
  return {
    family,
    address: decodeAddress(dest.get(IpvsDestAttr.ADDR), family, context),
    port: dest.be16(IpvsDestAttr.PORT) ?? 0,
    forward,
    weight: dest.u32(IpvsDestAttr.WEIGHT) ?? 0,
    upperThreshold: dest.u32(IpvsDestAttr.U_THRESH) ?? 0,
    lowerThreshold: dest.u32(IpvsDestAttr.L_THRESH) ?? 0,
    activeConnections: dest.u32(IpvsDestAttr.ACTIVE_CONNS) ?? 0,
    inactiveConnections: dest.u32(IpvsDestAttr.INACT_CONNS) ?? 0,
    persistentConnections: dest.u32(IpvsDestAttr.PERSIST_CONNS) ?? 0,
    stats: decodeStats(dest, IpvsDestAttr.STATS64, IpvsDestAttr.STATS),
  };
}
