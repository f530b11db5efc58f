/**
 * Members: validation against the set's type and family, and the canonical text form. The canonical
 * text is exactly what `ipset save` prints (lower-case protocol, compressed IPv6, a /32 or /128 net
 * without its prefix), so desired members and listed members compare as plain strings.
 */
import { ValidationError } from '../../errors.ts';
import { parseAddress, parseCidr, parsePort, PROTOCOLS, type Ctx, type IpFamily, type Protocol } from '../../validate/validate.ts';
import type { IpsetEntry, IpsetMember, PortRange, SetType } from './types.ts';

/** What a member is checked against: the set's type, family and (bitmap:port) range. */
export interface MemberTarget {
  readonly name: string;
  readonly type: SetType;
  readonly family: IpFamily;
  readonly range?: PortRange | undefined;
}

type Field = keyof IpsetEntry;

const FIELDS: Record<SetType, readonly Field[]> = {
  'hash:ip': ['ip'],
  'hash:ip,port': ['ip', 'protocol', 'port'],
  'hash:ip,port,ip': ['ip', 'protocol', 'port', 'ip2'],
  'hash:ip,port,net': ['ip', 'protocol', 'port', 'net'],
  'hash:net': ['net'],
  'bitmap:port': ['port'],
};

const ALL_FIELDS: readonly Field[] = ['ip', 'protocol', 'port', 'ip2', 'net'];

/** Canonical member text for `target`, or a ValidationError naming the set and the member. */
export function canonicalMember(target: MemberTarget, member: IpsetMember, operation: string): string {
  const ctx: Ctx = { operation, object: `set ${target.name} member ${describe(member)}` };
  const entry = typeof member === 'string' ? parseMemberText(member, target.type, ctx) : member;
  return renderEntry(validateEntry(entry, target, ctx), target.type);
}

/** Splits ipset's text form into fields (values are validated by validateEntry). */
export function parseMemberText(text: string, type: SetType, ctx: Ctx): IpsetEntry {
  const parts = text.split(',');
  const fields = FIELDS[type];
  if (parts.length !== (fields.includes('protocol') ? fields.length - 1 : fields.length)) {
    throw new ValidationError('member', text, `not a ${type} member`, ctx);
  }
  const [first = '', second = '', third = ''] = parts;
  switch (type) {
    case 'hash:ip':
      return { ip: first };
    case 'hash:net':
      return { net: withPrefix(first) };
    case 'bitmap:port':
      return { port: portNumber(first, text, ctx) };
    case 'hash:ip,port':
      return { ip: first, ...protoPort(second, text, ctx) };
    case 'hash:ip,port,ip':
      return { ip: first, ...protoPort(second, text, ctx), ip2: third };
    case 'hash:ip,port,net':
      return { ip: first, ...protoPort(second, text, ctx), net: withPrefix(third) };
  }
}

/** Checks every field the type needs (and no other), canonicalises values, enforces the family. */
export function validateEntry(entry: IpsetEntry, target: MemberTarget, ctx: Ctx): IpsetEntry {
  if (typeof entry !== 'object' || entry === null) throw new ValidationError('member', entry, 'not an entry', ctx);
  const wanted = FIELDS[target.type];
  for (const field of ALL_FIELDS) {
    const present = entry[field] !== undefined;
    if (present !== wanted.includes(field)) {
      throw new ValidationError(field, entry[field], present ? `not part of a ${target.type} member` : `required by ${target.type}`, ctx);
    }
  }
  const out: { -readonly [K in Field]?: IpsetEntry[K] } = {};
  if (entry.ip !== undefined) out.ip = address(entry.ip, target, ctx, 'ip');
  if (entry.ip2 !== undefined) out.ip2 = address(entry.ip2, target, ctx, 'ip2');
  if (entry.net !== undefined) out.net = network(entry.net, target, ctx);
  if (entry.protocol !== undefined) out.protocol = protocol(entry.protocol, ctx);
  if (entry.port !== undefined) out.port = port(entry.port, target, ctx);
  return out;
}

export function renderEntry(entry: IpsetEntry, type: SetType): string {
  const pp = `${(entry.protocol ?? '').toLowerCase()}:${entry.port}`;
  switch (type) {
    case 'hash:ip':
      return `${entry.ip}`;
    case 'hash:net':
      return stripHostPrefix(`${entry.net}`);
    case 'bitmap:port':
      return `${entry.port}`;
    case 'hash:ip,port':
      return `${entry.ip},${pp}`;
    case 'hash:ip,port,ip':
      return `${entry.ip},${pp},${entry.ip2}`;
    case 'hash:ip,port,net':
      return `${entry.ip},${pp},${stripHostPrefix(`${entry.net}`)}`;
  }
}

function address(value: unknown, target: MemberTarget, ctx: Ctx, field: string): string {
  const { address: canonical, family } = parseAddress(value, ctx, field);
  if (family !== target.family) throw new ValidationError(field, value, `not an IPv${target.family} address`, ctx);
  return canonical;
}

function network(value: unknown, target: MemberTarget, ctx: Ctx): string {
  const { cidr, family } = parseCidr(value, ctx, 'net');
  if (family !== target.family) throw new ValidationError('net', value, `not an IPv${target.family} network`, ctx);
  // The kernel refuses /0 in every hash:*net type (IPSET_ERR_INVALID_CIDR): measured on 6.1.
  if (cidr.endsWith('/0')) throw new ValidationError('net', value, 'prefix must be at least 1 (ipset cannot store /0)', ctx);
  return cidr;
}

function protocol(value: unknown, ctx: Ctx): Protocol {
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  if (typeof upper === 'string' && (PROTOCOLS as readonly string[]).includes(upper)) return upper as Protocol;
  throw new ValidationError('protocol', value, 'must be tcp, udp or sctp', ctx);
}

/** Ports are 1..65535 (a Service port is never 0, though the kernel would store it). */
function port(value: unknown, target: MemberTarget, ctx: Ctx): number {
  const checked = parsePort(value, ctx, 'port');
  const range = target.range;
  if (range !== undefined && (checked < range.from || checked > range.to)) {
    throw new ValidationError('port', value, `outside the set's range ${range.from}-${range.to}`, ctx);
  }
  return checked;
}

function protoPort(text: string, whole: string, ctx: Ctx): { protocol: IpsetEntry['protocol']; port: number } {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ValidationError('member', whole, 'protocol:port expected (the protocol is never implied)', ctx);
  // Any string here: validateEntry checks it (and names the value) next.
  return { protocol: text.slice(0, colon) as IpsetEntry['protocol'], port: portNumber(text.slice(colon + 1), whole, ctx) };
}

function portNumber(text: string, whole: string, ctx: Ctx): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new ValidationError('member', whole, `port ${JSON.stringify(text)} is not a number`, ctx);
  return Number(text);
}

/** `ipset save` prints a host-sized network as a bare address; accept both spellings. */
function withPrefix(text: string): string {
  if (text.includes('/')) return text;
  return text.includes(':') ? `${text}/128` : `${text}/32`;
}

function stripHostPrefix(cidr: string): string {
  return cidr.endsWith('/32') || cidr.endsWith('/128') ? cidr.slice(0, cidr.lastIndexOf('/')) : cidr;
}

function describe(member: IpsetMember): string {
  if (typeof member === 'string') return member.length > 80 ? `${member.slice(0, 80)}…` : member;
  try {
    return JSON.stringify(member);
  } catch {
    return '(unprintable entry)';
  }
}
