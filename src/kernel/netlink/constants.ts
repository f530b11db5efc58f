/**
 * Netlink protocol constants (include/uapi/linux/netlink.h). Shared by every netlink user
 * (generic netlink IPVS, rtnetlink links).
 */

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

/** struct nlmsghdr is 16 bytes; messages and attributes are 4-byte aligned. */
export const NLMSG_HDRLEN = 16;
export const NLMSG_ALIGNTO = 4;
export const NLA_HDRLEN = 4;
export const NLA_ALIGNTO = 4;

/** nlmsghdr.nlmsg_type control values; the first family-specific type is NLMSG_MIN_TYPE. */
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;
export const NLMSG_MIN_TYPE = 0x10;

/** nlmsghdr.nlmsg_flags. */
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;
/** GET modifiers. */
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
/** NEW modifiers. */
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
/** Flags of an NLMSG_ERROR reply. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

/** nlattr.nla_type flag bits. */
export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

export function nlmsgAlign(length: number): number {
  return (length + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

export function nlaAlign(length: number): number {
  return (length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}
