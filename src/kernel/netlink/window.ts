/**
 * How much kernel reply data may be outstanding on one socket, and how a batch is cut into
 * datagrams. Pure functions, unit-tested.
 *
 * Why this exists: replies the kernel cannot queue (receive buffer full) are dropped and the socket
 * gets ENOBUFS; `netlink` 0.3.0 turns that asynchronous recvmsg error into a process abort. So we
 * never have more replies outstanding than the real receive buffer can hold in the worst case.
 *
 * The kernel charges a queued reply its skb truesize: the data area rounded up to a kmalloc bucket
 * plus struct sk_buff and skb_shared_info (~576 bytes). netlink_unicast refuses a reply only when
 * sk_rmem_alloc already exceeds sk_rcvbuf, so keeping the worst-case sum below sk_rcvbuf is enough.
 */
import { NLMSG_HDRLEN } from './constants.ts';

/** Share of the receive buffer we budget; the rest is slack for the kernel's own rounding. */
export const RECEIVE_BUDGET_SHARE = 0.75;
/** Largest datagram we send: far below the default SO_SNDBUF (212992). */
export const MAX_DATAGRAM_BYTES = 32 * 1024;
/** Fewest bytes of worst-case reply a single message is charged. */
export const MIN_REPLY_RESERVE = 2048;
/**
 * A request's reply: one data message (a single object; an skb of at most a few KiB) and the ACK.
 * rtnetlink's biggest single-object replies (RTM_NEWLINK with stats) stay below 8 KiB.
 */
export const REQUEST_REPLY_RESERVE = 16 * 1024;
/**
 * A running dump: netlink_dump queues one skb of at most 32 KiB of data (truesize up to 64 KiB +
 * overhead) when the dump starts, and more only from recvmsg while sk_rmem_alloc <= sk_rcvbuf / 2,
 * so it self-limits; we charge it the largest skb it can add above our other reservations.
 */
export const DUMP_REPLY_RESERVE = 80 * 1024;

/** Bytes of reply data we allow to be outstanding on a socket with this SO_RCVBUF. */
export function replyCapacity(receiveBufferBytes: number): number {
  return Math.floor(receiveBufferBytes * RECEIVE_BUDGET_SHARE);
}

/**
 * Worst-case truesize of the reply to one message of `messageBytes` bytes: an NLMSG_ERROR that
 * echoes the whole request (16-byte header + s32 + the request), in a kmalloc bucket of at most
 * twice its size, plus ~576 bytes of sk_buff/skb_shared_info. 2 * (len + 512) covers that with room.
 */
export function replyReserve(messageBytes: number): number {
  return Math.max(MIN_REPLY_RESERVE, 2 * (messageBytes + NLMSG_HDRLEN + 4 + 512));
}

export interface DatagramPlan {
  /** Index of the first message in the datagram. */
  readonly start: number;
  /** One past the last message. */
  readonly end: number;
  readonly bytes: number;
  /** Worst-case reply bytes of the datagram. */
  readonly reserve: number;
}

/**
 * Cuts messages (by encoded size) into datagrams. Each datagram stays within `maxDatagramBytes` and
 * within `maxReserve` of worst-case replies (a single oversized message still gets its own datagram,
 * and the socket then sends it alone).
 */
export function planDatagrams(
  messageBytes: readonly number[],
  limits: { readonly maxDatagramBytes: number; readonly maxReserve: number },
): DatagramPlan[] {
  const plans: DatagramPlan[] = [];
  let start = 0;
  let bytes = 0;
  let reserve = 0;
  for (let i = 0; i < messageBytes.length; i++) {
    const size = messageBytes[i] ?? 0;
    const cost = replyReserve(size);
    const fits = bytes + size <= limits.maxDatagramBytes && reserve + cost <= limits.maxReserve;
    if (i > start && !fits) {
      plans.push({ start, end: i, bytes, reserve });
      start = i;
      bytes = 0;
      reserve = 0;
    }
    bytes += size;
    reserve += cost;
  }
  if (start < messageBytes.length) plans.push({ start, end: messageBytes.length, bytes, reserve });
  return plans;
}

/**
 * Largest reservation one datagram may take: half the capacity, so a second datagram can be in
 * flight while the first one's replies are read (the kernel handles a datagram within sendmsg).
 */
export function datagramReserveLimit(capacity: number): number {
  return Math.max(MIN_REPLY_RESERVE, Math.floor(capacity / 2));
}
