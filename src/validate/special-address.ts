/**
 * Addresses the kernel must never be given as a service or endpoint address. Each is a valid IP,
 * so parseAddress accepts it, but programmed it does harm: a ClusterIP of 0.0.0.0 became virtual
 * server 0.0.0.0:80 and made the KUBE-CLUSTER-IP restore fail with EINVAL on every sync, and one of
 * 127.0.0.1 was bound on kube-ipvs0 and took over the node's own 127.0.0.1:80.
 *
 * 240.0.0.0/4 ("reserved", class E) is deliberately allowed: Linux routes it as unicast since
 * 2.6.25 ("Enable use of 240/4 address space"), and clusters short of RFC 1918 space allocate pod
 * and service ranges from it (GKE documents this). Only its last address, 255.255.255.255, is
 * refused, as the limited broadcast address.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors.ts';
import { parseAddress, type Ctx, type IpFamily } from './validate.ts';

export type SpecialKind = 'unspecified' | 'this-network' | 'loopback' | 'link-local' | 'multicast' | 'broadcast';

interface SpecialRange {
  readonly kind: SpecialKind;
  readonly cidr: string;
  /** For the ValidationError's reason: what the range is and what programming it would do. */
  readonly why: string;
}

// First match wins: 0.0.0.0 itself before the rest of 0.0.0.0/8.
const RANGES: readonly SpecialRange[] = [
  { kind: 'unspecified', cidr: '0.0.0.0/32', why: 'the unspecified address means any address to the kernel' },
  { kind: 'this-network', cidr: '0.0.0.0/8', why: '"this network" (RFC 1122) is valid only as a source' },
  { kind: 'loopback', cidr: '127.0.0.0/8', why: "bound on kube-ipvs0 it would take over the node's own loopback services" },
  { kind: 'link-local', cidr: '169.254.0.0/16', why: 'link-local addresses are not routed (169.254.169.254 is the cloud metadata service)' },
  { kind: 'multicast', cidr: '224.0.0.0/4', why: 'multicast is not a unicast address' },
  { kind: 'broadcast', cidr: '255.255.255.255/32', why: 'the limited broadcast address is not a unicast address' },
  { kind: 'unspecified', cidr: '::/128', why: 'the unspecified address means any address to the kernel' },
  { kind: 'loopback', cidr: '::1/128', why: "bound on kube-ipvs0 it would take over the node's own loopback services" },
  { kind: 'link-local', cidr: 'fe80::/10', why: 'link-local addresses are not routed and need a zone' },
  { kind: 'multicast', cidr: 'ff00::/8', why: 'multicast is not a unicast address' },
];

const PARSED = RANGES.map((r) => ({ ...r, network: ipaddr.parseCIDR(r.cidr) }));

/** The special range a canonical address lies in, or undefined for an ordinary unicast address. */
export function specialRange(address: string): { readonly kind: SpecialKind; readonly cidr: string; readonly why: string } | undefined {
  const parsed = ipaddr.parse(address);
  const hit = PARSED.find(({ network: [base, prefix] }) => base.kind() === parsed.kind() && parsed.match(base, prefix));
  return hit === undefined ? undefined : { kind: hit.kind, cidr: hit.cidr, why: hit.why };
}

/** Throws a ValidationError naming the field when a canonical address is special. */
export function refuseSpecialAddress(address: string, ctx: Ctx, field: string): void {
  const special = specialRange(address);
  if (special !== undefined) throw new ValidationError(field, address, `${special.kind} address (${special.cidr}): ${special.why}`, ctx);
}

/** parseAddress, then refuseSpecialAddress: for every address that becomes a service or a destination. */
export function parseServableAddress(value: unknown, ctx: Ctx, field: string): { address: string; family: IpFamily } {
  const parsed = parseAddress(value, ctx, field);
  refuseSpecialAddress(parsed.address, ctx, field);
  return parsed;
}
