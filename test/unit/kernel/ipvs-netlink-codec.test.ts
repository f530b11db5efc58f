/**
 * IPVS generic netlink codec. Golden bytes are written out by hand from include/uapi/linux/ip_vs.h
 * (attribute numbers) and the nlattr layout (u16 len, u16 type, value, pad to 4), not produced by
 * the encoder under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors.ts';
import { parseAttributes } from '../../../src/kernel/netlink/attributes.ts';
import { decodeDestination, decodeService, encodeOperation, IpvsCmd } from '../../../src/kernel/ipvs/netlink-codec.ts';
import type { IpvsOperation, VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';

const h = (s: string): string => s.replace(/\s+/g, '');
const key: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.1', port: 443 };
const zero12 = '000000000000000000000000';

// IPVS_SVC_ATTR_* of TCP 10.96.0.1:443
const svcKeyHex = h(`
  06000100 02000000            AF = AF_INET (u16 2)
  06000200 06000000            PROTOCOL = IPPROTO_TCP (u16 6)
  14000300 0a600001 ${zero12}  ADDR = 10.96.0.1 in a 16-byte nf_inet_addr
  06000400 01bb0000            PORT = 443, network order
`.replace(/[A-Z][^\n]*/g, ''));

test('golden: NEW_SERVICE TCP 10.96.0.1:443 rr', () => {
  const encoded = encodeOperation({ op: 'addService', service: { key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } });
  assert.equal(encoded.cmd, IpvsCmd.NEW_SERVICE);
  const expected = h(`
    54000180
    ${svcKeyHex}
    07000600 72720000
    0c000700 00000000 ffffffff
    08000800 00000000
    08000900 ffffffff
  `);
  // 0x54 = 84 = 4 + 8 + 8 + 20 + 8 + 8 (sched "rr\\0") + 12 (flags, mask) + 8 (timeout) + 8 (netmask); type 1 | NLA_F_NESTED
  assert.equal(encoded.attributes.toString('hex'), expected);
  assert.equal(encoded.context.object, 'TCP 10.96.0.1:443');
});

test('golden: NEW_DEST 10.0.0.1:8443 masq weight 1 under TCP 10.96.0.1:443', () => {
  const encoded = encodeOperation({
    op: 'addDestination', service: key,
    destination: { family: 4, address: '10.0.0.1', port: 8443, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 },
  });
  assert.equal(encoded.cmd, IpvsCmd.NEW_DEST);
  const expected = h(`
    30000180 ${svcKeyHex}
    48000280
    14000100 0a000001 ${zero12}
    06000200 20fb0000
    06000b00 02000000
    08000300 00000000
    08000400 01000000
    08000500 00000000
    08000600 00000000
  `);
  assert.equal(encoded.attributes.toString('hex'), expected);
});

test('service flags never carry HASHED to the kernel; IPv4 netmask in network order, IPv6 as prefix length', () => {
  const v4 = encodeOperation({ op: 'updateService', service: { key: { kind: 'fwmark', family: 4, fwmark: 7 }, scheduler: 'mh', flags: 0x13, timeout: 60, netmask: 0xffffff00 } });
  assert.equal(v4.cmd, IpvsCmd.SET_SERVICE);
  const svc4 = parseAttributes(v4.attributes).nested(1);
  assert.equal(svc4?.u32(5), 7);
  assert.equal(svc4?.get(7)?.toString('hex'), '11000000ffffffff');
  assert.equal(svc4?.get(9)?.toString('hex'), 'ffffff00');
  assert.equal(svc4?.has(2), false);
  const v6 = encodeOperation({ op: 'addService', service: { key: { kind: 'address', family: 6, protocol: 'SCTP', address: 'fd00::1', port: 80 }, scheduler: 'sh', flags: 1, timeout: 10, netmask: 128 } });
  const svc6 = parseAttributes(v6.attributes).nested(1);
  assert.equal(svc6?.u16(1), 10);
  assert.equal(svc6?.u16(2), 132);
  assert.equal(svc6?.get(3)?.toString('hex'), 'fd000000000000000000000000000001');
  assert.equal(svc6?.get(9)?.toString('hex'), '80000000');
});

test('delete operations carry only the keys', () => {
  const del = encodeOperation({ op: 'deleteDestination', service: key, destination: { family: 4, address: '10.0.0.1', port: 8443 } });
  assert.equal(del.cmd, IpvsCmd.DEL_DEST);
  assert.deepEqual(parseAttributes(del.attributes).nested(2)?.types, [1, 2, 11]);
  const dels = encodeOperation({ op: 'deleteService', key });
  assert.equal(dels.cmd, IpvsCmd.DEL_SERVICE);
  assert.equal(dels.attributes.toString('hex'), `30000180${svcKeyHex}`);
});

test('invalid values throw ValidationError before any byte is produced', () => {
  const bad: IpvsOperation[] = [
    { op: 'addService', service: { key: { ...key, address: '010.0.0.1' }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'addService', service: { key: { ...key, address: 'fd00::1' }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'addService', service: { key, scheduler: 'bogus', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'addService', service: { key: { ...key, port: 70000 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'addService', service: { key: { kind: 'address', family: 6, protocol: 'TCP', address: 'fd00::1', port: 1 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 129 } },
    { op: 'deleteService', key: { kind: 'fwmark', family: 4, fwmark: 0 } },
    { op: 'addDestination', service: key, destination: { family: 4, address: '10.0.0.1', port: 1, forward: 'masq', weight: -1, upperThreshold: 0, lowerThreshold: 0 } },
    { op: 'addDestination', service: key, destination: { family: 4, address: '10.0.0.1', port: 1, forward: 'nat' as 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
    { op: 'addDestination', service: key, destination: { family: 4, address: '10.0.0.1', port: 1, forward: 'masq', weight: 2 ** 31, upperThreshold: 0, lowerThreshold: 0 } },
  ];
  for (const op of bad) assert.throws(() => encodeOperation(op), ValidationError, JSON.stringify(op));
});

test('decodeService: masks HASHED, prefers STATS64, reads the key', () => {
  const stats64 = h(`
    0c000100 05000000 00000000
    0c000200 00e40b54 02000000
    0c000300 07000000 00000000
    0c000400 00000000 01000000
    0c000500 09000000 00000000
  `); // conns 5, inpkts 10000000000, outpkts 7, inbytes 2^32, outbytes 9
  const svc = h(`
    ${svcKeyHex}
    08000600 776c6300
    0c000700 03000000 ffffffff
    08000800 2c010000
    08000900 ffffffff
    ${(4 + stats64.length / 2).toString(16).padStart(2, '0')}000c80 ${stats64}
  `);
  const decoded = decodeService(parseAttributes(Buffer.from(svc, 'hex')));
  assert.deepEqual(decoded, {
    key,
    scheduler: 'wlc',
    flags: 1,
    timeout: 300,
    netmask: 0xffffffff,
    stats: { connections: 5, packetsIn: 10_000_000_000, packetsOut: 7, bytesIn: 2 ** 32, bytesOut: 9 },
  });
});

test('decodeDestination: IPv6 address, fwd method, counters, 32-bit STATS fallback', () => {
  const stats = h(`
    08000100 03000000
    08000200 04000000
    08000300 05000000
    0c000400 06000000 00000000
    0c000500 07000000 00000000
  `);
  const dest = h(`
    14000100 fd000000000000000000000000000010
    06000200 00350000
    08000300 03000000
    08000400 02000000
    08000500 0a000000
    08000600 05000000
    08000700 01000000
    08000800 02000000
    08000900 00000000
    06000b00 0a000000
    ${(4 + stats.length / 2).toString(16).padStart(2, '0')}000a80 ${stats}
  `);
  assert.deepEqual(decodeDestination(parseAttributes(Buffer.from(dest, 'hex')), 6), {
    family: 6, address: 'fd00::10', port: 53, forward: 'droute', weight: 2, upperThreshold: 10, lowerThreshold: 5,
    activeConnections: 1, inactiveConnections: 2, persistentConnections: 0,
    stats: { connections: 3, packetsIn: 4, packetsOut: 5, bytesIn: 6, bytesOut: 7 },
  });
});
