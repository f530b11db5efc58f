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
  readonly #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  u8(type: number, value: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(value);
    return this.bytes(type, b);
  }

  u16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.bytes(type, b);
  }

  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    return this.bytes(type, b);
  }

  u64(type: number, value: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    return this.bytes(type, b);
  }

  be16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.bytes(type, b);
  }

  be32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.bytes(type, b);
  }

  /** A NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept the terminator). */
  string(type: number, value: string): this {
    return this.bytes(type, Buffer.from(`${value}\0`, 'utf8'));
  }

  /** A flag attribute (NLA_FLAG): present means true, no value. */
  flag(type: number): this {
    return this.bytes(type, Buffer.alloc(0));
  }

  bytes(type: number, value: Uint8Array): this {
    const length = NLA_HDRLEN + value.length;
    if (length > MAX_U16) {
      throw new ProxierError('ERR_NETLINK_ATTRIBUTE_TOO_LARGE', `netlink attribute ${type} is ${length} bytes (max ${MAX_U16})`, {
        operation: 'netlink.encode',
      });
    }
    const header = Buffer.alloc(NLA_HDRLEN);
    header.writeUInt16LE(length, 0);
    header.writeUInt16LE(type & MAX_U16, 2);
    this.#push(header);
    this.#push(Buffer.from(value.buffer, value.byteOffset, value.length));
    const pad = nlaAlign(length) - length;
    if (pad > 0) this.#push(Buffer.alloc(pad));
    return this;
  }

  /** A nested attribute whose contents `fill` writes. */
  nested(type: number, fill: (writer: AttributeWriter) => void): this {
    const inner = new AttributeWriter();
    fill(inner);
    return this.bytes(type | NLA_F_NESTED, inner.toBuffer());
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks, this.#length);
  }

  #push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
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
