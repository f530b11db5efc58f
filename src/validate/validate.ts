/**
 * Validation of every value that reaches the kernel or a restore file. Each check returns the
 * canonical form or throws a ValidationError naming the field, the object and the value.
 *
 * Addresses are parsed with ipaddr.js in its strict four-part decimal form: `010.0.0.1` would be
 * octal to inet_aton (8.0.0.1) but decimal to Go's net.ParseIP, so we refuse to guess.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError, type ErrorContext } from '../errors.ts';

export type IpFamily = 4 | 6;
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** IPVS schedulers shipped by Linux (net/netfilter/ipvs/ip_vs_*.c). */
export const IPVS_SCHEDULERS = [
  'rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos',
] as const;
export type IpvsScheduler = (typeof IPVS_SCHEDULERS)[number];

/** Where a value came from, for the error message. */
export type Ctx = Pick<ErrorContext, 'operation' | 'object'>;

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Canonical text of an IPv4 or IPv6 address (IPv6 compressed, IPv4-mapped IPv6 refused). */
export function parseAddress(value: unknown, ctx: Ctx, field = 'address'): { address: string; family: IpFamily } {
  if (typeof value !== 'string' || value.length === 0 || value.length > 45) {
    throw new ValidationError(field, value, 'not an IP address', ctx);
  }
  if (value.includes('.') && !value.includes(':')) {
    const parts = value.split('.');
    if (parts.length !== 4 || !parts.every((p) => DECIMAL_OCTET.test(p) && Number(p) <= 255)) {
      throw new ValidationError(field, value, 'IPv4 must be four decimal octets without leading zeros', ctx);
    }
    return { address: parts.map(Number).join('.'), family: 4 };
  }
  if (!ipaddr.IPv6.isValid(value) || value.includes('%')) {
    throw new ValidationError(field, value, 'not an IP address', ctx);
  }
  const parsed = ipaddr.IPv6.parse(value);
  if (parsed.isIPv4MappedAddress()) {
    throw new ValidationError(field, value, 'IPv4-mapped IPv6 addresses are ambiguous; use the IPv4 form', ctx);
  }
  return { address: parsed.toString(), family: 6 };
}

/** Canonical `address/prefix` with the host bits cleared. */
export function parseCidr(value: unknown, ctx: Ctx, field = 'cidr'): { cidr: string; family: IpFamily } {
  if (typeof value !== 'string') throw new ValidationError(field, value, 'not a CIDR', ctx);
  const slash = value.indexOf('/');
  if (slash < 0) throw new ValidationError(field, value, 'missing /prefix', ctx);
  const { address, family } = parseAddress(value.slice(0, slash), ctx, field);
  const prefixText = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    throw new ValidationError(field, value, `prefix must be 0..${max}`, ctx);
  }
  const prefix = Number(prefixText);
  const base = family === 4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString()
    : ipaddr.IPv6.networkAddressFromCIDR(`${address}/${prefix}`).toString();
  return { cidr: `${base}/${prefix}`, family };
}

export function parsePort(value: unknown, ctx: Ctx, field = 'port', allowZero = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    throw new ValidationError(field, value, `must be an integer ${allowZero ? 0 : 1}..65535`, ctx);
  }
  return value;
}

export function parseProtocol(value: unknown, ctx: Ctx, field = 'protocol'): Protocol {
  if (typeof value === 'string' && (PROTOCOLS as readonly string[]).includes(value)) return value as Protocol;
  throw new ValidationError(field, value, 'must be TCP, UDP or SCTP', ctx);
}

export function parseScheduler(value: unknown, ctx: Ctx, field = 'scheduler'): IpvsScheduler {
  if (typeof value === 'string' && (IPVS_SCHEDULERS as readonly string[]).includes(value)) {
    return value as IpvsScheduler;
  }
  throw new ValidationError(field, value, `must be one of ${IPVS_SCHEDULERS.join(', ')}`, ctx);
}

/** An unsigned 32-bit integer (weights, timeouts, fwmarks, flags). */
export function parseUint32(value: unknown, ctx: Ctx, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ValidationError(field, value, 'must be an integer 0..4294967295', ctx);
  }
  return value;
}

/**
 * Text that ends up inside iptables/ipset restore input or a netlink string: a rule comment, a set
 * or chain name. Restore files are line- and quote-delimited, so newlines, quotes, backslashes and
 * control characters could inject rules; they are refused outright rather than escaped.
 */
export function parseComment(value: unknown, ctx: Ctx, field = 'comment', maxLength = 255): string {
  if (typeof value !== 'string' || value.length > maxLength || !/^[\x20-\x7e]*$/.test(value) || /["'\\`]/.test(value)) {
    throw new ValidationError(field, value, `must be printable ASCII without quotes or backslashes, at most ${maxLength} characters`, ctx);
  }
  return value;
}

/** ipset set names and iptables chain names: 1..31 (sets) or 1..28 (chains) of [A-Za-z0-9_.:-]. */
export function parseObjectName(value: unknown, ctx: Ctx, field: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || !/^[A-Za-z0-9_.:-]+$/.test(value)) {
    throw new ValidationError(field, value, `must be 1..${maxLength} characters of A-Z a-z 0-9 _ . : -`, ctx);
  }
  return value;
}

/** Network interface name (IFNAMSIZ 16 including NUL; no '/', ':' or whitespace). */
export function parseInterfaceName(value: unknown, ctx: Ctx, field = 'interface'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(value) || value === '.' || value === '..') {
    throw new ValidationError(field, value, 'must be 1..15 characters of A-Z a-z 0-9 _ . -', ctx);
  }
  return value;
}
