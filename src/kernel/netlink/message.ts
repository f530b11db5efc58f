/**
 * Netlink message framing (struct nlmsghdr) and NLMSG_ERROR payloads.
 *
 *   u32 nlmsg_len (header included, padding excluded) | u16 nlmsg_type | u16 nlmsg_flags |
 *   u32 nlmsg_seq | u32 nlmsg_pid | payload, padded to 4 bytes
 */
import { ProxierError } from '../../errors.ts';
import { NLMSG_HDRLEN, nlmsgAlign } from './constants.ts';

export interface NetlinkMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

export interface OutgoingMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid?: number;
  readonly payload: Uint8Array;
}

/** One message: header + payload + padding to 4 bytes. */
export function encodeMessage(message: OutgoingMessage): Buffer {
  const out = Buffer.alloc(nlmsgAlign(NLMSG_HDRLEN + message.payload.length));
  encodeMessageInto(out, 0, message);
  return out;
}

/** Writes one message at `offset` of a zero-filled buffer (the padding is left as it is). */
export function encodeMessageInto(out: Buffer, offset: number, message: OutgoingMessage): void {
  out.writeUInt32LE(NLMSG_HDRLEN + message.payload.length, offset);
  out.writeUInt16LE(message.type, offset + 4);
  out.writeUInt16LE(message.flags, offset + 6);
  out.writeUInt32LE(message.seq >>> 0, offset + 8);
  out.writeUInt32LE((message.pid ?? 0) >>> 0, offset + 12);
  out.set(message.payload, offset + NLMSG_HDRLEN);
}

/** Every message of one received datagram. Throws ERR_NETLINK_MALFORMED on bad framing. */
export function parseMessages(datagram: Uint8Array): NetlinkMessage[] {
  const data = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  const out: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (offset + NLMSG_HDRLEN > data.length) {
      throw malformed(`${data.length - offset} trailing bytes are shorter than a message header`);
    }
    const length = data.readUInt32LE(offset);
    if (length < NLMSG_HDRLEN || offset + length > data.length) {
      throw malformed(`message at offset ${offset} has length ${length} in a ${data.length}-byte datagram`);
    }
    out.push({
      type: data.readUInt16LE(offset + 4),
      flags: data.readUInt16LE(offset + 6),
      seq: data.readUInt32LE(offset + 8),
      pid: data.readUInt32LE(offset + 12),
      payload: data.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += nlmsgAlign(length);
  }
  return out;
}

/**
 * struct nlmsgerr: s32 error (0 = ACK, else -errno), then the request's header (and payload unless
 * NLM_F_CAPPED). Returns the positive errno (0 for an ACK).
 */
export function parseErrorPayload(payload: Uint8Array): { errno: number } {
  if (payload.length < 4) throw malformed(`NLMSG_ERROR payload is ${payload.length} bytes`);
  const error = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readInt32LE(0);
  return { errno: error < 0 ? -error : error };
}

/** NLMSG_DONE carries an s32 (0, or -errno when the dump failed part way). Older kernels may omit it. */
export function parseDonePayload(payload: Uint8Array): { errno: number } {
  if (payload.length < 4) return { errno: 0 };
  const error = Buffer.from(payload.buffer, payload.byteOffset, payload.length).readInt32LE(0);
  return { errno: error < 0 ? -error : 0 };
}

function malformed(message: string): ProxierError {
  return new ProxierError('ERR_NETLINK_MALFORMED', `malformed netlink datagram: ${message}`, { operation: 'netlink.parse' });
}
