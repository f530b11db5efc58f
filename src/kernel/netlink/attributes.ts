/**
 * Netlink attribute (struct nlattr, TLV) codec.
 *
 * AttributeWriter builds a 4-byte aligned attribute stream: each attribute is a u16 length (header
 * + value, without padding), a u16 type, the value, then zero padding to 4 bytes. Integers are in
 * host byte order (little-endian on every platform we run on), except be16/be32 which are network
 * order (ports, `__be32` fields). Nested attributes carry NLA_F_NESTED: strict kernel parsers
 * (rtnetlink) require it and the lenient ones (IPVS's nla_parse_nested_deprecated) ignore it.
 *
 * parseAttributes reads a stream back into an AttributeMap (type with flag bits masked -> value).
 * Malformed streams throw ProxierError('ERR_NETLINK_MALFORMED'): a kernel reply we cannot parse is
 * never silently half-read.
 */
import { ProxierError } from '../../errors.ts';
import { NLA_F_NESTED, NLA_HDRLEN, NLA_TYPE_MASK, nlaAlign } from './constants.ts';

const MAX_U16 = 0xffff;

export class AttributeWriter {
  // One growing buffer, written in place: a 110k-operation IPVS batch used to allocate ~20 tiny
  // Buffers (each its own ArrayBuffer and malloc'd backing store) per message.
  #buffer = Buffer.alloc(128);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  u8(type: number, value: number): this {
    this.#buffer.writeUInt8(value, this.#header(type, 1));
    return this.#pad(1);
  }

  u16(type: number, value: number): this {
    this.#buffer.writeUInt16LE(value, this.#header(type, 2));
    return this.#pad(2);
  }

  u32(type: number, value: number): this {
    this.#buffer.writeUInt32LE(value, this.#header(type, 4));
    return this.#pad(4);
  }

  u64(type: number, value: bigint | number): this {
    this.#buffer.writeBigUInt64LE(BigInt(value), this.#header(type, 8));
    return this.#pad(8);
  }

  be16(type: number, value: number): this {
    this.#buffer.writeUInt16BE(value, this.#header(type, 2));
    return this.#pad(2);
  }

  be32(type: number, value: number): this {
    this.#buffer.writeUInt32BE(value, this.#header(type, 4));
    return this.#pad(4);
  }

  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept the terminator). */
  string(type: number, value: string): this {
    const size = Buffer.byteLength(value, 'utf8') + 1;
    const at = this.#header(type, size);
    this.#buffer.write(value, at, 'utf8');
    this.#buffer[at + size - 1] = 0;
    return this.#pad(size);
  }

  /** A flag attribute (NLA_FLAG): present means true, no value. */
  flag(type: number): this {
    this.#header(type, 0);
    return this;
  }

  bytes(type: number, value: Uint8Array): this {
    this.#buffer.set(value, this.#header(type, value.length));
    return this.#pad(value.length);
  }

  /** A nested attribute whose contents `fill` writes. */
  nested(type: number, fill: (writer: AttributeWriter) => void): this {
    const start = this.#header(type | NLA_F_NESTED, 0) - NLA_HDRLEN;
    fill(this);
    // The contents are whole attributes, so already aligned: the length needs no padding.
    const length = this.#length - start;
    checkLength(type | NLA_F_NESTED, length);
    this.#buffer.writeUInt16LE(length, start);
    return this;
  }

  /** A copy of the stream (small ones come from Node's shared pool, not an allocation each). */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.#length);
    this.#buffer.copy(out, 0, 0, this.#length);
    return out;
  }

  /** Writes an attribute header for a value of `size` bytes; returns where the value goes. */
  #header(type: number, size: number): number {
    const length = NLA_HDRLEN + size;
    checkLength(type, length);
    this.#reserve(nlaAlign(length));
    const at = this.#length;
    this.#buffer.writeUInt16LE(length, at);
    this.#buffer.writeUInt16LE(type & MAX_U16, at + 2);
    this.#length += NLA_HDRLEN;
    return this.#length;
  }

  /** Moves past a value of `size` bytes and its zero padding. */
  #pad(size: number): this {
    const end = this.#length + size;
    const aligned = nlaAlign(end);
    this.#buffer.fill(0, end, aligned);
    this.#length = aligned;
    return this;
  }

  #reserve(bytes: number): void {
    const need = this.#length + bytes;
    if (need <= this.#buffer.length) return;
    const grown = Buffer.alloc(Math.max(need, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}

function checkLength(type: number, length: number): void {
  if (length > MAX_U16) {
    throw new ProxierError('ERR_NETLINK_ATTRIBUTE_TOO_LARGE', `netlink attribute ${type} is ${length} bytes (max ${MAX_U16})`, {
      operation: 'netlink.encode',
    });
  }
}

/** One attribute as it appeared in the stream (for lists where a type repeats). */
export interface RawAttribute {
  /** Type with NLA_F_NESTED / NLA_F_NET_BYTEORDER masked out. */
  readonly type: number;
  readonly nested: boolean;
  readonly value: Buffer;
}

function malformed(message: string): ProxierError {
  return new ProxierError('ERR_NETLINK_MALFORMED', `malformed netlink attributes: ${message}`, { operation: 'netlink.parse' });
}

/** Every attribute of a stream, in order (repeated types kept). */
export function parseAttributeList(buf: Uint8Array): RawAttribute[] {
  const data = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const out: RawAttribute[] = [];
  let offset = 0;
  while (offset + NLA_HDRLEN <= data.length) {
    const length = data.readUInt16LE(offset);
    const rawType = data.readUInt16LE(offset + 2);
    if (length < NLA_HDRLEN || offset + length > data.length) {
      throw malformed(`attribute at offset ${offset} has length ${length} in a ${data.length}-byte stream`);
    }
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      value: data.subarray(offset + NLA_HDRLEN, offset + length),
    });
    offset += nlaAlign(length);
  }
  // Trailing bytes shorter than a header are padding (the kernel's nla_for_each_attr stops too).
  return out;
}

/** Attributes by type (the last one wins for a repeated type, as in the kernel's nla_parse). */
export class AttributeMap {
  readonly #values = new Map<number, Buffer>();

  constructor(attributes: readonly RawAttribute[]) {
    for (const a of attributes) this.#values.set(a.type, a.value);
  }

  has(type: number): boolean {
    return this.#values.has(type);
  }

  get(type: number): Buffer | undefined {
    return this.#values.get(type);
  }

  get types(): number[] {
    return [...this.#values.keys()];
  }

  u8(type: number): number | undefined {
    return this.#fixed(type, 1)?.readUInt8(0);
  }

  u16(type: number): number | undefined {
    return this.#fixed(type, 2)?.readUInt16LE(0);
  }

  u32(type: number): number | undefined {
    return this.#fixed(type, 4)?.readUInt32LE(0);
  }

  u64(type: number): bigint | undefined {
    return this.#fixed(type, 8)?.readBigUInt64LE(0);
  }

  be16(type: number): number | undefined {
    return this.#fixed(type, 2)?.readUInt16BE(0);
  }

  be32(type: number): number | undefined {
    return this.#fixed(type, 4)?.readUInt32BE(0);
  }

  /** A string attribute without its NUL terminator. */
  string(type: number): string | undefined {
    const value = this.#values.get(type);
    if (value === undefined) return undefined;
    const nul = value.indexOf(0);
    return value.toString('utf8', 0, nul < 0 ? value.length : nul);
  }

  nested(type: number): AttributeMap | undefined {
    const value = this.#values.get(type);
    return value === undefined ? undefined : parseAttributes(value);
  }

  #fixed(type: number, size: number): Buffer | undefined {
    const value = this.#values.get(type);
    if (value === undefined) return undefined;
    if (value.length < size) throw malformed(`attribute ${type} is ${value.length} bytes, expected ${size}`);
    return value;
  }
}

export function parseAttributes(buf: Uint8Array): AttributeMap {
  return new AttributeMap(parseAttributeList(buf));
}
