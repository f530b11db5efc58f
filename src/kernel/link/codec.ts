/**
 * rtnetlink message bodies for links and addresses (include/uapi/linux/rtnetlink.h, if_link.h,
 * if_addr.h). Pure encode/decode on top of the shared netlink attribute codec.
 *
 *   struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }   16 bytes
 *   struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }          8 bytes
 */
import ipaddr from 'ipaddr.js';
import { ProxierError } from '../../errors.ts';
import type { IpFamily } from '../../validate/validate.ts';
import { AttributeWriter, parseAttributes } from '../netlink/attributes.ts';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

export const IFLA_IFNAME = 3;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFF_UP = 0x1;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
/** u32 with every IFA_F_* bit; the u8 in ifaddrmsg only holds the low 8. */
export const IFA_FLAGS = 8;
export const IFA_F_NODAD = 0x02;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_DADFAILED = 0x08;

const IFINFOMSG_LEN = 16;
const IFADDRMSG_LEN = 8;

export interface DecodedLink {
  readonly index: number;
  readonly name: string;
  readonly kind: string | undefined;
  readonly flags: number;
}

export interface DecodedAddress {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
  readonly scope: number;
  readonly index: number;
  /** IFA_FLAGS when present (kernel >= 3.14), else ifaddrmsg.flags. */
  readonly flags: number;
}

function malformed(what: string): ProxierError {
  return new ProxierError('ERR_NETLINK_MALFORMED', `malformed rtnetlink message: ${what}`, { operation: 'netlink.parse' });
}

export function encodeIfinfomsg(header: { index?: number; flags?: number; change?: number }, attributes?: AttributeWriter): Buffer {
  const head = Buffer.alloc(IFINFOMSG_LEN);
  head.writeUInt8(AF_UNSPEC, 0);
  head.writeInt32LE(header.index ?? 0, 4);
  head.writeUInt32LE(header.flags ?? 0, 8);
  head.writeUInt32LE(header.change ?? 0, 12);
  return attributes === undefined ? head : Buffer.concat([head, attributes.toBuffer()]);
}

/** RTM_GETLINK / RTM_DELLINK by name (the kernel looks IFLA_IFNAME up when index is 0). */
export function encodeLinkByName(name: string): Buffer {
  return encodeIfinfomsg({}, new AttributeWriter().string(IFLA_IFNAME, name));
}

/** RTM_NEWLINK body creating a link of `kind` (e.g. dummy) named `name`, left DOWN. */
export function encodeNewLink(name: string, kind: string): Buffer {
  const attrs = new AttributeWriter()
    .string(IFLA_IFNAME, name)
    .nested(IFLA_LINKINFO, (info) => info.string(IFLA_INFO_KIND, kind));
  return encodeIfinfomsg({}, attrs);
}

export function decodeLink(payload: Buffer): DecodedLink {
  if (payload.length < IFINFOMSG_LEN) throw malformed(`ifinfomsg is ${payload.length} bytes`);
  const attrs = parseAttributes(payload.subarray(IFINFOMSG_LEN));
  const name = attrs.string(IFLA_IFNAME);
  if (name === undefined) throw malformed('link without IFLA_IFNAME');
  return {
    index: payload.readInt32LE(4),
    name,
    kind: attrs.nested(IFLA_LINKINFO)?.string(IFLA_INFO_KIND),
    flags: payload.readUInt32LE(8),
  };
}

export function addressBytes(family: IpFamily, address: string): Buffer {
  return Buffer.from(family === 4 ? ipaddr.IPv4.parse(address).toByteArray() : ipaddr.IPv6.parse(address).toByteArray());
}

/**
 * RTM_NEWADDR / RTM_DELADDR body. IFA_LOCAL and IFA_ADDRESS both carry the address, as iproute2
 * sends them: for IPv4 IFA_ADDRESS makes inet_rtm_deladdr match the prefix length too, and for
 * IPv6 equal values mean "no peer" (extract_addr).
 */
export function encodeAddress(address: { family: IpFamily; address: string; prefixLength: number }, index: number, flags = 0): Buffer {
  const head = Buffer.alloc(IFADDRMSG_LEN);
  head.writeUInt8(address.family === 4 ? AF_INET : AF_INET6, 0);
  head.writeUInt8(address.prefixLength, 1);
  head.writeUInt8(flags & 0xff, 2);
  head.writeUInt8(0, 3); // RT_SCOPE_UNIVERSE, as upstream's netlink.AddrAdd
  head.writeUInt32LE(index, 4);
  const bytes = addressBytes(address.family, address.address);
  const attrs = new AttributeWriter().bytes(IFA_LOCAL, bytes).bytes(IFA_ADDRESS, bytes);
  if (flags > 0xff) attrs.u32(IFA_FLAGS, flags);
  return Buffer.concat([head, attrs.toBuffer()]);
}

/** A dumped address, or undefined for families other than IPv4/IPv6. */
export function decodeAddress(payload: Buffer): DecodedAddress | undefined {
  if (payload.length < IFADDRMSG_LEN) throw malformed(`ifaddrmsg is ${payload.length} bytes`);
  const rawFamily = payload.readUInt8(0);
  if (rawFamily !== AF_INET && rawFamily !== AF_INET6) return undefined;
  const family: IpFamily = rawFamily === AF_INET ? 4 : 6;
  const attrs = parseAttributes(payload.subarray(IFADDRMSG_LEN));
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links
  // (IPv6 sends IFA_LOCAL only when there is a peer).
  const raw = attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS);
  const size = family === 4 ? 4 : 16;
  if (raw === undefined || raw.length !== size) throw malformed(`address of ${raw?.length ?? 0} bytes for IPv${family}`);
  return {
    family,
    address: ipaddr.fromByteArray([...raw]).toString(),
    prefixLength: payload.readUInt8(1),
    scope: payload.readUInt8(3),
    index: payload.readUInt32LE(4),
    flags: attrs.u32(IFA_FLAGS) ?? payload.readUInt8(2),
  };
}
