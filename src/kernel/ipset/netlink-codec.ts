/**
 * The ipset netlink protocol (include/uapi/linux/netfilter/ipset/ip_set.h, ip_set_core.c), as far
 * as member add/del and a set's header need it. What `ipset add` sends, one element per message:
 *
 *   nlmsghdr  type (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_ADD/DEL; NLM_F_EXCL unless -exist
 *   nfgenmsg  family AF_INET, version NFNETLINK_V0, res_id 0 (ip_set_core ignores all three)
 *   IPSET_ATTR_PROTOCOL u8, IPSET_ATTR_SETNAME string,
 *   IPSET_ATTR_DATA (NLA_F_NESTED) { IPSET_ATTR_IP (nested) { IPADDR_IPV4|IPV6, NET_BYTEORDER },
 *     IPSET_ATTR_PORT be16 (NET_BYTEORDER), IPSET_ATTR_PROTO u8, IPSET_ATTR_IP2 (nested),
 *     IPSET_ATTR_CIDR / CIDR2 u8 }
 *
 * -exist is not an attribute: ip_set_core's flag_exist() sets IPSET_FLAG_EXIST whenever the
 * request lacks NLM_F_EXCL, and call_ad() then ignores IPSET_ERR_EXIST (present on add, absent on
 * del). The type-specific uadt() functions require NLA_F_NET_BYTEORDER on addresses and ports
 * (ip_set_attr_netorder) and NLA_F_NESTED on IP/IP2/DATA (flag_nested), else IPSET_ERR_PROTOCOL.
 */
import ipaddr from 'ipaddr.js';
import { Errno, ProxierError, type ErrorContext } from '../../errors.ts';
import { AttributeWriter, parseAttributes } from '../netlink/attributes.ts';
import { NLA_F_NET_BYTEORDER, NLM_F_EXCL } from '../netlink/constants.ts';
import type { IpFamily } from '../../validate/validate.ts';
import type { IpsetEntry, SetType } from './types.ts';

export const NETLINK_NETFILTER = 12;
export const NFNL_SUBSYS_IPSET = 6;
export const NFNETLINK_V0 = 0;
const AF_INET = 2;
/** NFPROTO_* in a set header: bitmap:port is NFPROTO_UNSPEC. */
export const NFPROTO_UNSPEC = 0;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_IPV6 = 10;

/**
 * Protocol 6: every kernel since 2.6.39 accepts it for ADD/DEL/HEADER (protocol_min_failed checks
 * IPSET_PROTOCOL_MIN = 6 .. IPSET_PROTOCOL = 7 on 5.x/6.x; older kernels demand exactly 6).
 * Version 7 only adds IPSET_ATTR_INDEX to list replies, which we do not read.
 */
export const IPSET_PROTOCOL = 6;

export const IpsetCmd = { ADD: 9, DEL: 10, HEADER: 12 } as const;
export type IpsetMemberCmd = typeof IpsetCmd.ADD | typeof IpsetCmd.DEL;

/** Command-level attributes. */
export const IpsetAttr = { PROTOCOL: 1, SETNAME: 2, TYPENAME: 3, REVISION: 4, FAMILY: 5, DATA: 7 } as const;
/** Attributes inside IPSET_ATTR_DATA (CADT and ADT ranges of the enum). */
export const IpsetDataAttr = { IP: 1, CIDR: 3, PORT: 4, PROTO: 7, IP2: 20, CIDR2: 21 } as const;
export const IpsetAddrAttr = { IPV4: 1, IPV6: 2 } as const;

/** enum ipset_errno and the type-specific codes (ip_set_hash.h, ip_set_bitmap.h). */
export const IpsetErr = {
  PROTOCOL: 4097,
  FIND_TYPE: 4098,
  MAX_SETS: 4099,
  BUSY: 4100,
  TYPE_MISMATCH: 4102,
  EXIST: 4103,
  INVALID_CIDR: 4104,
  INVALID_FAMILY: 4106,
  IPADDR_IPV4: 4109,
  IPADDR_IPV6: 4110,
  /** IPSET_ERR_HASH_FULL for hash types, IPSET_ERR_BITMAP_RANGE for bitmap types. */
  TYPE_SPECIFIC: 4352,
} as const;

const PROTO_NUMBERS: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

export function messageType(cmd: number): number {
  return (NFNL_SUBSYS_IPSET << 8) | cmd;
}

/** struct nfgenmsg then the attributes. */
export function nfnlPayload(attributes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt8(AF_INET, 0);
  head.writeUInt8(NFNETLINK_V0, 1);
  head.writeUInt16BE(0, 2);
  return Buffer.concat([head, attributes]);
}

export interface EncodedMember {
  readonly type: number;
  readonly flags: number;
  readonly payload: Buffer;
}

/** One ADD/DEL message for a validated entry of a set of `type` and `family`. */
export function encodeMember(cmd: IpsetMemberCmd, set: string, type: SetType, family: IpFamily, entry: IpsetEntry, exist: boolean): EncodedMember {
  const attributes = new AttributeWriter()
    .u8(IpsetAttr.PROTOCOL, IPSET_PROTOCOL)
    .string(IpsetAttr.SETNAME, set)
    .nested(IpsetAttr.DATA, (w) => writeEntry(w, type, family, entry))
    .toBuffer();
  return { type: messageType(cmd), flags: exist ? 0 : NLM_F_EXCL, payload: nfnlPayload(attributes) };
}

/** IPSET_CMD_HEADER for one set: the reply names its type and family. */
export function encodeHeaderRequest(set: string): Buffer {
  return nfnlPayload(new AttributeWriter().u8(IpsetAttr.PROTOCOL, IPSET_PROTOCOL).string(IpsetAttr.SETNAME, set).toBuffer());
}

export interface SetHeader {
  readonly name: string;
  readonly type: string;
  /** NFPROTO_* as the kernel reports it. */
  readonly family: number;
}

export function decodeHeaderReply(payload: Buffer, context: ErrorContext): SetHeader {
  if (payload.length < 4) throw new ProxierError('ERR_NETLINK_MALFORMED', `ipset header reply is ${payload.length} bytes`, context);
  const attrs = parseAttributes(payload.subarray(4));
  const name = attrs.string(IpsetAttr.SETNAME);
  const type = attrs.string(IpsetAttr.TYPENAME);
  const family = attrs.u8(IpsetAttr.FAMILY);
  if (name === undefined || type === undefined || family === undefined) {
    throw new ProxierError('ERR_NETLINK_MALFORMED', 'ipset header reply lacks name, type or family', context);
  }
  return { name, type, family };
}

/**
 * The errno a kernel answer means for this command and set type, in the terms ipset restore's
 * errors use (diagnose.ts): IPSET_ERR_EXIST is "already added" on add and "not added" on del.
 */
export function ipsetErrno(code: number, cmd: IpsetMemberCmd, type: string): number {
  switch (code) {
    case IpsetErr.EXIST:
      return cmd === IpsetCmd.ADD ? Errno.EEXIST : Errno.ENOENT;
    case IpsetErr.TYPE_SPECIFIC:
      return type.startsWith('bitmap:') ? Errno.ERANGE : Errno.ENOSPC;
    case IpsetErr.BUSY:
      return Errno.EBUSY;
    default:
      // Every other ipset code (protocol, family, cidr, proto) means the element does not fit the set.
      return code >= 4096 ? Errno.EINVAL : code;
  }
}

function writeEntry(w: AttributeWriter, type: SetType, family: IpFamily, entry: IpsetEntry): void {
  const [ip, ip2, net] = [entry.ip, entry.ip2, entry.net];
  if (type === 'hash:net' && net !== undefined) {
    const [address, prefix] = splitCidr(net);
    writeAddress(w, IpsetDataAttr.IP, family, address);
    w.u8(IpsetDataAttr.CIDR, prefix);
    return;
  }
  if (type === 'bitmap:port') {
    w.be16(IpsetDataAttr.PORT | NLA_F_NET_BYTEORDER, entry.port ?? 0);
    return;
  }
  if (ip !== undefined) writeAddress(w, IpsetDataAttr.IP, family, ip);
  if (entry.port !== undefined) w.be16(IpsetDataAttr.PORT | NLA_F_NET_BYTEORDER, entry.port);
  if (entry.protocol !== undefined) w.u8(IpsetDataAttr.PROTO, PROTO_NUMBERS[entry.protocol.toUpperCase()] ?? 0);
  if (ip2 !== undefined) writeAddress(w, IpsetDataAttr.IP2, family, ip2);
  if (net !== undefined) {
    const [address, prefix] = splitCidr(net);
    writeAddress(w, IpsetDataAttr.IP2, family, address);
    w.u8(IpsetDataAttr.CIDR2, prefix);
  }
}

function writeAddress(w: AttributeWriter, attr: number, family: IpFamily, address: string): void {
  const bytes = Buffer.from(family === 4 ? ipaddr.IPv4.parse(address).toByteArray() : ipaddr.IPv6.parse(address).toByteArray());
  const inner = family === 4 ? IpsetAddrAttr.IPV4 : IpsetAddrAttr.IPV6;
  w.nested(attr, (n) => n.bytes(inner | NLA_F_NET_BYTEORDER, bytes));
}

/** Canonical nets are `a/p`, or a bare address for a host-sized net (members.ts). */
function splitCidr(net: string): [string, number] {
  const slash = net.indexOf('/');
  if (slash < 0) return [net, net.includes(':') ? 128 : 32];
  return [net.slice(0, slash), Number(net.slice(slash + 1))];
}
