/**
 * The IPVS subsystem's narrow interface. Two real implementations (generic netlink, ipvsadm) and a
 * fake implement it. Field names follow the kernel's (include/uapi/linux/ip_vs.h).
 */
import type { ProxierError } from '../../errors.ts';
import type { IpFamily, Protocol } from '../../validate/validate.ts';

/** IP_VS_SVC_F_* service flags. HASHED is kernel-internal and never part of desired state. */
export const ServiceFlag = {
  PERSISTENT: 0x1,
  HASHED: 0x2,
  ONEPACKET: 0x4,
  SCHED1: 0x8,
  /** mh-port for the mh scheduler; upstream always sets it for mh. */
  SCHED2: 0x10,
  SCHED3: 0x20,
} as const;

/** IP_VS_CONN_F_FWD_MASK values. */
export type ForwardMethod = 'masq' | 'local' | 'tunnel' | 'droute' | 'bypass';

/** A virtual server is addressed either by (protocol, address, port) or by firewall mark. */
export type VirtualServerKey =
  | { readonly kind: 'address'; readonly family: IpFamily; readonly protocol: Protocol; readonly address: string; readonly port: number }
  | { readonly kind: 'fwmark'; readonly family: IpFamily; readonly fwmark: number };

export interface VirtualServer {
  readonly key: VirtualServerKey;
  readonly scheduler: string;
  /** IP_VS_SVC_F_* without HASHED. */
  readonly flags: number;
  /** Persistence timeout in seconds (meaningful with PERSISTENT). */
  readonly timeout: number;
  /** 0xffffffff for IPv4, 128 for IPv6 (prefix length), as upstream programs. */
  readonly netmask: number;
}

export interface RealServerKey {
  readonly family: IpFamily;
  readonly address: string;
  readonly port: number;
}

export interface RealServer extends RealServerKey {
  readonly forward: ForwardMethod;
  readonly weight: number;
  readonly upperThreshold: number;
  readonly lowerThreshold: number;
}

export interface IpvsStats {
  readonly connections: number;
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface VirtualServerStatus extends VirtualServer {
  readonly stats: IpvsStats;
}

export interface RealServerStatus extends RealServer {
  readonly activeConnections: number;
  readonly inactiveConnections: number;
  readonly persistentConnections: number;
  readonly stats: IpvsStats;
}

/** One write. `update*` changes a live object in place (IPVS_CMD_SET_*), never delete + add. */
export type IpvsOperation =
  | { readonly op: 'addService'; readonly service: VirtualServer }
  | { readonly op: 'updateService'; readonly service: VirtualServer }
  | { readonly op: 'deleteService'; readonly key: VirtualServerKey }
  | { readonly op: 'addDestination'; readonly service: VirtualServerKey; readonly destination: RealServer }
  | { readonly op: 'updateDestination'; readonly service: VirtualServerKey; readonly destination: RealServer }
  | { readonly op: 'deleteDestination'; readonly service: VirtualServerKey; readonly destination: RealServerKey };

export interface IpvsOperationFailure {
  /** Index into the applied operation list; undefined when the backend cannot tell which failed. */
  readonly index: number | undefined;
  readonly operation: IpvsOperation | undefined;
  readonly error: ProxierError;
}

/**
 * IPVS writes are not transactional in the kernel: each operation succeeds or fails on its own.
 * `apply` therefore never throws for a refused operation; it reports every failure, and the caller
 * forces a full resync. It throws only when the backend itself is unusable (socket closed, tool
 * missing).
 */
export interface IpvsApplyResult {
  readonly attempted: number;
  readonly failures: readonly IpvsOperationFailure[];
}

export interface IpvsTimeouts {
  /** Seconds; 0 means "leave the kernel's value". */
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

export interface VirtualServerDump {
  readonly service: VirtualServerStatus;
  readonly destinations: readonly RealServerStatus[];
}

export interface Ipvs {
  apply(operations: readonly IpvsOperation[]): Promise<IpvsApplyResult>;
  listServices(): Promise<VirtualServerStatus[]>;
  listDestinations(service: VirtualServerKey): Promise<RealServerStatus[]>;
  /** Every service with its destinations: one service dump, then the destination dumps pipelined. */
  dump(): Promise<VirtualServerDump[]>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(timeouts: IpvsTimeouts): Promise<void>;
  close(): Promise<void>;
}

/** `TCP 10.96.0.1:443`, `TCP [fd00::1]:443`, `FWM 7 (IPv4)`: for errors and logs. */
export function describeVirtualServer(key: VirtualServerKey): string {
  if (key.kind === 'fwmark') return `FWM ${key.fwmark} (IPv${key.family})`;
  const host = key.family === 6 ? `[${key.address}]` : key.address;
  return `${key.protocol} ${host}:${key.port}`;
}

export function describeRealServer(key: RealServerKey): string {
  return key.family === 6 ? `[${key.address}]:${key.port}` : `${key.address}:${key.port}`;
}
