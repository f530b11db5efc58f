import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttributeWriter, parseAttributeList, parseAttributes } from '../../../../src/kernel/netlink/attributes.ts';
import { encodeMessage, parseDonePayload, parseErrorPayload, parseMessages } from '../../../../src/kernel/netlink/message.ts';
import { decodeGenl, encodeGenl } from '../../../../src/kernel/netlink/genl.ts';
import { ProxierError } from '../../../../src/errors.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('attributes: each scalar encodes as len|type|value|padding, little-endian except be*', () => {
  const w = new AttributeWriter().u8(1, 0xab).u16(2, 0x1234).u32(3, 0xdeadbeef).u64(4, 0x0102030405060708n).be16(5, 443).be32(6, 0x0a000001);
  assert.equal(
    hex(w.toBuffer()),
    '05000100ab000000' + '0600020034120000' + '08000300efbeadde' + '0c0004000807060504030201' + '0600050001bb0000' + '080006000a000001',
  );
});

test('attributes: strings are NUL-terminated and padded; nested sets NLA_F_NESTED', () => {
  const w = new AttributeWriter().string(6, 'rr').nested(1, (n) => n.u16(1, 2)).flag(9);
  assert.equal(hex(w.toBuffer()), '0700060072720000' + '0c000180' + '0600010002000000' + '04000900');
});

test('attributes: round trip through parseAttributes, nested flag masked', () => {
  const buf = new AttributeWriter()
    .u8(1, 7).u16(2, 65535).u32(3, 4294967295).u64(4, 2n ** 64n - 1n).be16(5, 8080).be32(6, 0xffffff00)
    .string(7, 'wlc').bytes(8, Buffer.from([1, 2, 3])).nested(9, (n) => n.string(1, 'x').u32(2, 5))
    .toBuffer();
  assert.equal(buf.length % 4, 0);
  const m = parseAttributes(buf);
  assert.equal(m.u8(1), 7);
  assert.equal(m.u16(2), 65535);
  assert.equal(m.u32(3), 4294967295);
  assert.equal(m.u64(4), 2n ** 64n - 1n);
  assert.equal(m.be16(5), 8080);
  assert.equal(m.be32(6), 0xffffff00);
  assert.equal(m.string(7), 'wlc');
  assert.deepEqual([...(m.get(8) ?? [])], [1, 2, 3]);
  assert.equal(m.nested(9)?.string(1), 'x');
  assert.equal(m.nested(9)?.u32(2), 5);
  assert.equal(m.u32(99), undefined);
  assert.deepEqual(parseAttributeList(buf).map((a) => [a.type, a.nested]).at(-1), [9, true]);
});

test('attributes: a length past the end or a short fixed value is ERR_NETLINK_MALFORMED', () => {
  assert.throws(() => parseAttributes(Buffer.from('0c000100aabbccdd', 'hex')), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  assert.throws(() => parseAttributes(Buffer.from('0300010000000000', 'hex')), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  const short = parseAttributes(Buffer.from('0600010001000000', 'hex'));
  assert.throws(() => short.u32(1), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
});

test('message: nlmsghdr framing with padding, several messages per datagram', () => {
  const a = encodeMessage({ type: 0x1c, flags: 0x5, seq: 0xfffffffe, payload: Buffer.from([1, 2, 3, 4, 5]) });
  assert.equal(hex(a), '15000000' + '1c00' + '0500' + 'feffffff' + '00000000' + '0102030405000000');
  const b = encodeMessage({ type: 3, flags: 2, seq: 9, pid: 77, payload: Buffer.alloc(4) });
  const parsed = parseMessages(Buffer.concat([a, b]));
  assert.equal(parsed.length, 2);
  assert.deepEqual(
    parsed.map((m) => [m.type, m.flags, m.seq, m.pid, hex(m.payload)]),
    [[0x1c, 5, 0xfffffffe, 0, '0102030405'], [3, 2, 9, 77, '00000000']],
  );
});

test('message: bad lengths are ERR_NETLINK_MALFORMED', () => {
  const ok = encodeMessage({ type: 2, flags: 0, seq: 1, payload: Buffer.alloc(4) });
  for (const bad of [ok.subarray(0, 10), Buffer.concat([ok, Buffer.alloc(3)]), Buffer.from('0400000002000000000000000000000000000000', 'hex')]) {
    assert.throws(() => parseMessages(bad), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  }
});

test('message: NLMSG_ERROR and NLMSG_DONE payloads carry -errno', () => {
  const err = Buffer.alloc(20);
  err.writeInt32LE(-17, 0);
  assert.deepEqual(parseErrorPayload(err), { errno: 17 });
  assert.deepEqual(parseErrorPayload(Buffer.alloc(20)), { errno: 0 });
  assert.throws(() => parseErrorPayload(Buffer.alloc(2)));
  const done = Buffer.alloc(4);
  done.writeInt32LE(-16, 0);
  assert.deepEqual(parseDonePayload(done), { errno: 16 });
  assert.deepEqual(parseDonePayload(Buffer.alloc(0)), { errno: 0 });
});

test('genl: header is cmd|version|reserved(2) before the attributes', () => {
  const attrs = new AttributeWriter().u32(4, 1).toBuffer();
  const payload = encodeGenl(13, 1, attrs);
  assert.equal(hex(payload), '0d010000' + '0800040001000000');
  const decoded = decodeGenl(payload);
  assert.equal(decoded.cmd, 13);
  assert.equal(decoded.version, 1);
  assert.equal(hex(decoded.attributes), hex(attrs));
  assert.throws(() => decodeGenl(Buffer.alloc(3)));
});
