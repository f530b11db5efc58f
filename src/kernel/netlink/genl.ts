/**
 * Generic netlink (include/uapi/linux/genetlink.h): the 4-byte genl header after nlmsghdr and
 * family resolution through the "nlctrl" controller.
 *
 *   struct genlmsghdr { u8 cmd; u8 version; u16 reserved; }  then attributes
 */
import { ProxierError, type ErrorContext } from '../../errors.ts';
import { AttributeWriter, parseAttributes, type AttributeMap } from './attributes.ts';
import type { NetlinkSocket } from './socket.ts';

export const GENL_HDRLEN = 4;
export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;

export interface GenlMessage {
  readonly cmd: number;
  readonly version: number;
  /** The attribute stream after the genl header. */
  readonly attributes: Buffer;
}

export function encodeGenl(cmd: number, version: number, attributes: Uint8Array = Buffer.alloc(0)): Buffer {
  // allocUnsafe: small messages come from Node's shared pool instead of an ArrayBuffer each; every
  // byte is written below.
  const out = Buffer.allocUnsafe(GENL_HDRLEN + attributes.length);
  out.writeUInt8(cmd, 0);
  out.writeUInt8(version, 1);
  out.writeUInt16LE(0, 2);
  out.set(attributes, GENL_HDRLEN);
  return out;
}

export function decodeGenl(payload: Uint8Array): GenlMessage {
  if (payload.length < GENL_HDRLEN) {
    throw new ProxierError('ERR_NETLINK_MALFORMED', `generic netlink payload is ${payload.length} bytes`, { operation: 'genl.parse' });
  }
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  return { cmd: data.readUInt8(0), version: data.readUInt8(1), attributes: data.subarray(GENL_HDRLEN) };
}

/** Decodes a genl payload straight to its attributes. */
export function decodeGenlAttributes(payload: Uint8Array): AttributeMap {
  return parseAttributes(decodeGenl(payload).attributes);
}

export interface GenlFamily {
  readonly id: number;
  readonly version: number;
}

/**
 * The runtime id of a generic netlink family. The kernel answers ENOENT when the family is not
 * registered (for IPVS: ip_vs not loaded; nlctrl tries request_module first).
 */
export async function resolveFamily(socket: NetlinkSocket, name: string): Promise<GenlFamily> {
  const context: ErrorContext = { operation: 'genl.resolveFamily', object: name };
  const attrs = new AttributeWriter().string(CTRL_ATTR_FAMILY_NAME, name).toBuffer();
  const replies = await socket.request({ type: GENL_ID_CTRL, payload: encodeGenl(CTRL_CMD_GETFAMILY, 1, attrs) }, context);
  for (const reply of replies) {
    const attributes = decodeGenlAttributes(reply);
    const id = attributes.u16(CTRL_ATTR_FAMILY_ID);
    if (id !== undefined) return { id, version: attributes.u32(CTRL_ATTR_VERSION) ?? 0 };
  }
  throw new ProxierError('ERR_NETLINK_MALFORMED', `no family id in the reply for ${name}`, context);
}
