/**
 * The ipset subsystem's narrow interface. One real implementation (`ipset restore` / `ipset save`,
 * restore.ts) and a fake (fake.ts) implement it. Type and option names follow ipset(8).
 */
import type { IpFamily, Protocol } from '../../validate/validate.ts';
import type { IpsetTransaction } from './transaction.ts';

/** The set types upstream kube-proxy's IPVS mode uses, plus hash:net. */
export const SET_TYPES = [
  'hash:ip', 'hash:ip,port', 'hash:ip,port,ip', 'hash:ip,port,net', 'hash:net', 'bitmap:port',
] as const;
export type SetType = (typeof SET_TYPES)[number];

/** IPSET_MAXNAMELEN is 32 including the NUL. */
export const MAX_SET_NAME_LENGTH = 31;
/** Upstream kube-proxy's defaults (pkg/proxy/ipvs/ipset.go). */
export const DEFAULT_HASHSIZE = 1024;
export const DEFAULT_MAXELEM = 65536;

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface SetSpec {
  readonly name: string;
  readonly type: SetType;
  /** Address family of hash sets. bitmap:port has none in the kernel; it is kept only for naming. */
  readonly family: IpFamily;
  /**
   * Human description, used by the iptables rules that match the set (as upstream does). ipset has
   * no per-set comment: its `comment` create option enables per-entry comments instead, changes
   * what `create -exist` accepts, and is not what upstream creates, so it is never rendered.
   */
  readonly comment?: string;
  /** bitmap:port only; default 0-65535. */
  readonly range?: PortRange;
  /** Hash types only; default 1024. The kernel doubles it as the set grows. */
  readonly hashsize?: number;
  /** Hash types only; default 65536. */
  readonly maxelem?: number;
}

/** A spec after validation: defaults filled in, values canonical. */
export interface ValidSetSpec {
  readonly name: string;
  readonly type: SetType;
  readonly family: IpFamily;
  readonly comment: string | undefined;
  /** Set for bitmap:port, undefined for hash types. */
  readonly range: PortRange | undefined;
  /** Set for hash types, undefined for bitmap:port. */
  readonly hashsize: number | undefined;
  readonly maxelem: number | undefined;
}

/**
 * One member, as upstream's ipset.Entry. Which fields are required depends on the set type:
 * hash:ip {ip}; hash:ip,port {ip, protocol, port}; hash:ip,port,ip {ip, protocol, port, ip2};
 * hash:ip,port,net {ip, protocol, port, net}; hash:net {net}; bitmap:port {port}.
 * The text form (`10.96.0.1,tcp:443`, `30080`) is accepted wherever an entry is.
 */
export interface IpsetEntry {
  readonly ip?: string;
  /** TCP/UDP/SCTP, either case. */
  readonly protocol?: Protocol | 'tcp' | 'udp' | 'sctp';
  readonly port?: number;
  readonly ip2?: string;
  readonly net?: string;
}
export type IpsetMember = IpsetEntry | string;

/**
 * One line of `ipset restore` input. Members are canonical text: exactly what `ipset save` prints.
 * `exist` renders `-exist` (see transaction.ts for when and why).
 */
export type IpsetOperation =
  | { readonly op: 'create'; readonly spec: ValidSetSpec; readonly exist: boolean }
  | { readonly op: 'add'; readonly set: string; readonly member: string; readonly exist: boolean }
  | { readonly op: 'del'; readonly set: string; readonly member: string; readonly exist: boolean }
  | { readonly op: 'flush'; readonly set: string }
  | { readonly op: 'swap'; readonly set: string; readonly other: string }
  | { readonly op: 'destroy'; readonly set: string; readonly exist: boolean };

/** A set as the kernel has it, parsed from `ipset save`. */
export interface IpsetSetState {
  readonly name: string;
  /** A SetType for ours; foreign sets keep whatever type they have (hash:mac, list:set, …). */
  readonly type: string;
  /** undefined for bitmap:port (and other family-less types). */
  readonly family: IpFamily | undefined;
  readonly hashsize: number | undefined;
  readonly maxelem: number | undefined;
  readonly range: PortRange | undefined;
  /** Created with the per-entry `comment` extension. */
  readonly comment: boolean;
  /** Sorted; each exactly as `ipset save` prints it (our canonical member text for our types). */
  readonly members: readonly string[];
}

export interface Ipset {
  /**
   * Applies a transaction in one step. Throws the transaction's first ValidationError before
   * anything runs. RestoreIpset: ONE `ipset restore` process; an IpsetRestoreError names the
   * failing line's operation, set and member, and errors.ts says what stays applied. HybridIpset
   * (the default): add/del-only transactions go over netlink in one batch, with no process; an
   * IpsetNetlinkError lists every refused member, and everything else was applied. Neither is
   * atomic across members.
   */
  apply(tx: IpsetTransaction): Promise<void>;
  /** Every set with its header and members. */
  list(): Promise<IpsetSetState[]>;
  listNames(): Promise<string[]>;
  /** Sorted members of one set; KernelError ENOENT when it does not exist. */
  listMembers(name: string): Promise<string[]>;
}
