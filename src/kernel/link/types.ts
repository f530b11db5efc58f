/**
 * The link subsystem: the `kube-ipvs0` dummy interface and its addresses, plus the node's local
 * addresses (NodePort node IPs). Real implementation: rtnetlink.
 */
import type { ProxierError } from '../../errors.ts';
import type { IpFamily } from '../../validate/validate.ts';

export interface LinkInfo {
  readonly index: number;
  readonly name: string;
  /** IFLA_INFO_KIND, e.g. `dummy`, `veth`, `bridge`; undefined for links without one (lo). */
  readonly kind: string | undefined;
  /** IFF_UP is set. */
  readonly up: boolean;
}

export interface InterfaceAddress {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
}

export interface LocalAddress extends InterfaceAddress {
  readonly linkIndex: number;
  readonly linkName: string;
  /** RT_SCOPE_*: 0 universe, 253 link, 254 host. */
  readonly scope: number;
}

export interface AddressChanges {
  readonly add: readonly InterfaceAddress[];
  readonly delete: readonly InterfaceAddress[];
}

export interface AddressChangeFailure {
  readonly change: 'add' | 'delete';
  readonly address: InterfaceAddress;
  readonly error: ProxierError;
}

export interface Links {
  /** Creates a dummy link if missing (left DOWN, as upstream does); errors if the name is another kind. */
  ensureDummy(name: string): Promise<LinkInfo>;
  getLink(name: string): Promise<LinkInfo | undefined>;
  deleteLink(name: string): Promise<void>;
  listAddresses(linkName: string): Promise<InterfaceAddress[]>;
  /** Batched: all messages in as few sends as possible. Reports per-address failures, never throws for one. */
  changeAddresses(linkName: string, changes: AddressChanges): Promise<readonly AddressChangeFailure[]>;
  /** Every address on every link in this network namespace. */
  listLocalAddresses(): Promise<LocalAddress[]>;
  close(): Promise<void>;
}
