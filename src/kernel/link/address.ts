/**
 * Validation and identity of interface addresses, shared by the rtnetlink implementation and the
 * fake so both refuse the same inputs and treat the same addresses as equal.
 */
import { ValidationError } from '../../errors.ts';
import { parseAddress, type Ctx } from '../../validate/validate.ts';
import type { InterfaceAddress } from './types.ts';

export function describeAddress(address: InterfaceAddress): string {
  return `${address.address}/${address.prefixLength}`;
}

/** Canonical address text; the family must match the text and the prefix must fit the family. */
export function parseInterfaceAddress(value: InterfaceAddress, ctx: Ctx): InterfaceAddress {
  const parsed = parseAddress(value.address, ctx, 'address');
  if (parsed.family !== value.family) {
    throw new ValidationError('family', value.family, `address ${value.address} is IPv${parsed.family}`, ctx);
  }
  const max = value.family === 4 ? 32 : 128;
  if (!Number.isInteger(value.prefixLength) || value.prefixLength < 0 || value.prefixLength > max) {
    throw new ValidationError('prefixLength', value.prefixLength, `must be an integer 0..${max}`, ctx);
  }
  return { family: value.family, address: parsed.address, prefixLength: value.prefixLength };
}

/**
 * Whether adding `candidate` collides with `existing` (EEXIST). IPv4 (__inet_insert_ifa) only
 * refuses the same local address with the same mask: 10.0.0.1/32 and 10.0.0.1/24 may coexist.
 * IPv6 (ipv6_add_addr) refuses the same address whatever the prefix.
 */
export function addCollides(existing: InterfaceAddress, candidate: InterfaceAddress): boolean {
  if (existing.family !== candidate.family || existing.address !== candidate.address) return false;
  return candidate.family === 6 || existing.prefixLength === candidate.prefixLength;
}

/**
 * Whether a delete request for `target` removes `existing`. Both inet_rtm_deladdr (with IFA_ADDRESS
 * set, as we send it) and inet6_addr_del require the prefix length to match too; otherwise the
 * kernel answers EADDRNOTAVAIL.
 */
export function deleteMatches(existing: InterfaceAddress, target: InterfaceAddress): boolean {
  return existing.family === target.family
    && existing.address === target.address
    && existing.prefixLength === target.prefixLength;
}
