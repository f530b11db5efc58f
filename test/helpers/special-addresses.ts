/** One or more addresses of every class the kernel must never get, per family (validate/special-address.ts). */
import type { SpecialKind } from '../../src/validate/special-address.ts';

export interface SpecialAddress {
  readonly address: string;
  readonly family: 4 | 6;
  readonly kind: SpecialKind;
  readonly cidr: string;
}

export const SPECIAL_ADDRESSES: readonly SpecialAddress[] = [
  { address: '0.0.0.0', family: 4, kind: 'unspecified', cidr: '0.0.0.0/32' },
  { address: '0.1.2.3', family: 4, kind: 'this-network', cidr: '0.0.0.0/8' },
  { address: '0.255.255.255', family: 4, kind: 'this-network', cidr: '0.0.0.0/8' },
  { address: '127.0.0.1', family: 4, kind: 'loopback', cidr: '127.0.0.0/8' },
  { address: '127.255.255.254', family: 4, kind: 'loopback', cidr: '127.0.0.0/8' },
  { address: '169.254.169.254', family: 4, kind: 'link-local', cidr: '169.254.0.0/16' },
  { address: '224.0.0.1', family: 4, kind: 'multicast', cidr: '224.0.0.0/4' },
  { address: '239.255.255.250', family: 4, kind: 'multicast', cidr: '224.0.0.0/4' },
  { address: '255.255.255.255', family: 4, kind: 'broadcast', cidr: '255.255.255.255/32' },
  { address: '::', family: 6, kind: 'unspecified', cidr: '::/128' },
  { address: '::1', family: 6, kind: 'loopback', cidr: '::1/128' },
  { address: 'fe80::1', family: 6, kind: 'link-local', cidr: 'fe80::/10' },
  { address: 'febf:ffff::1', family: 6, kind: 'link-local', cidr: 'fe80::/10' },
  { address: 'ff02::1', family: 6, kind: 'multicast', cidr: 'ff00::/8' },
  { address: 'ff05::1:3', family: 6, kind: 'multicast', cidr: 'ff00::/8' },
];

/** Neighbours of the special ranges, and 240/4 (reserved, but routed as unicast by Linux): all fine. */
export const ORDINARY_ADDRESSES: readonly string[] = [
  '10.96.0.1', '1.0.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '223.255.255.255',
  '240.0.0.1', '255.255.255.254', '::2', 'fd00::1', '2001:db8::1', 'fe7f:ffff::1', 'fec0::1', 'feff::1',
];
