import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AttributeWriter } from '../../../../src/kernel/netlink/attributes.ts';
import {
  IFA_ADDRESS, IFA_F_NODAD, IFA_FLAGS, IFA_LOCAL, IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND,
  decodeAddress, decodeLink, encodeAddress, encodeLinkByName, encodeNewLink,
} from '../../../../src/kernel/link/codec.ts';

describe('rtnetlink link codec', () => {
  it('encodes RTM_NEWLINK for a dummy: zero ifinfomsg, IFLA_IFNAME, nested IFLA_LINKINFO/IFLA_INFO_KIND', () => {
    const body = encodeNewLink('kube-ipvs0', 'dummy');
    assert.equal(body.subarray(0, 16).toString('hex'), '00'.repeat(16));
    // IFLA_IFNAME: len 4+11, type 3, "kube-ipvs0\0", 1 byte pad
    assert.equal(body.subarray(16, 20).toString('hex'), '0f000300');
    assert.equal(body.subarray(20, 31).toString('latin1'), 'kube-ipvs0\0');
    // IFLA_LINKINFO | NLA_F_NESTED (0x8012), len 4 + (4 + 6 + 2 pad) = 16
    assert.equal(body.subarray(32, 36).toString('hex'), '10001280');
    assert.equal(body.subarray(36, 40).toString('hex'), '0a000100');
    assert.equal(body.subarray(40, 46).toString('latin1'), 'dummy\0');
    assert.equal(body.length, 48);
  });

  it('decodes index, name, kind and flags of an RTM_NEWLINK reply', () => {
    const head = Buffer.alloc(16);
    head.writeInt32LE(7, 4);
    head.writeUInt32LE(0x1043, 8); // IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_LOWER_UP
    const attrs = new AttributeWriter().u32(4, 1500).string(IFLA_IFNAME, 'eth0')
      .nested(IFLA_LINKINFO, (w) => w.string(IFLA_INFO_KIND, 'veth')).toBuffer();
    assert.deepEqual(decodeLink(Buffer.concat([head, attrs])), { index: 7, name: 'eth0', kind: 'veth', flags: 0x1043 });
    const lo = Buffer.concat([head, new AttributeWriter().string(IFLA_IFNAME, 'lo').toBuffer()]);
    assert.equal(decodeLink(lo).kind, undefined);
    assert.throws(() => decodeLink(head), { code: 'ERR_NETLINK_MALFORMED' });
    assert.throws(() => decodeLink(Buffer.alloc(8)), { code: 'ERR_NETLINK_MALFORMED' });
  });

  it('asks for a link by name with index 0', () => {
    const body = encodeLinkByName('lo');
    assert.equal(body.readInt32LE(4), 0);
    assert.equal(body.subarray(16).toString('hex'), '07000300' + '6c6f00' + '00');
  });
});

describe('rtnetlink address codec', () => {
  it('encodes ifaddrmsg and IFA_LOCAL + IFA_ADDRESS for IPv4 and IPv6', () => {
    const v4 = encodeAddress({ family: 4, address: '10.96.0.1', prefixLength: 32 }, 9);
    assert.equal(v4.toString('hex'), '02200000' + '09000000' + '08000200' + '0a600001' + '08000100' + '0a600001');
    const v6 = encodeAddress({ family: 6, address: 'fd00::1', prefixLength: 128 }, 9, IFA_F_NODAD);
    assert.equal(v6.subarray(0, 8).toString('hex'), '0a800200' + '09000000');
    assert.equal(v6.subarray(8, 12).toString('hex'), '14000200');
    assert.equal(v6.subarray(12, 28).toString('hex'), 'fd000000000000000000000000000001');
    assert.equal(v6.length, 8 + 20 + 20);
    // Flags above the u8 (IFA_F_NOPREFIXROUTE 0x200) travel in IFA_FLAGS; the u8 keeps the low bits.
    const wide = encodeAddress({ family: 4, address: '10.96.0.1', prefixLength: 32 }, 9, 0x202);
    assert.equal(wide.readUInt8(2), 0x02);
    assert.equal(wide.subarray(24).toString('hex'), '08000800' + '02020000');
    assert.equal(decodeAddress(wide)?.flags, 0x202);
  });

  it('round-trips and prefers IFA_LOCAL, then IFA_ADDRESS; IFA_FLAGS over the u8 flags', () => {
    const v4 = decodeAddress(encodeAddress({ family: 4, address: '192.168.1.10', prefixLength: 24 }, 3));
    assert.deepEqual(v4, { family: 4, address: '192.168.1.10', prefixLength: 24, scope: 0, index: 3, flags: 0 });

    const head = Buffer.from([10, 64, 0x80, 253, 2, 0, 0, 0]); // AF_INET6 /64 IFA_F_PERMANENT scope link ifindex 2
    const peerless = new AttributeWriter()
      .bytes(IFA_ADDRESS, Buffer.from('fe800000000000000000000000000001', 'hex'))
      .u32(IFA_FLAGS, 0x280).toBuffer();
    assert.deepEqual(decodeAddress(Buffer.concat([head, peerless])), {
      family: 6, address: 'fe80::1', prefixLength: 64, scope: 253, index: 2, flags: 0x280,
    });
    const pointToPoint = Buffer.concat([Buffer.from([2, 32, 0, 0, 4, 0, 0, 0]), new AttributeWriter()
      .bytes(IFA_ADDRESS, Buffer.from([10, 0, 0, 2])).bytes(IFA_LOCAL, Buffer.from([10, 0, 0, 1])).toBuffer()]);
    assert.equal(decodeAddress(pointToPoint)?.address, '10.0.0.1');
  });

  it('skips other families and refuses malformed addresses', () => {
    assert.equal(decodeAddress(Buffer.from([17, 0, 0, 0, 1, 0, 0, 0])), undefined);
    const short = Buffer.concat([Buffer.from([2, 32, 0, 0, 1, 0, 0, 0]), new AttributeWriter().bytes(IFA_LOCAL, Buffer.from([10, 0, 0])).toBuffer()]);
    assert.throws(() => decodeAddress(short), { code: 'ERR_NETLINK_MALFORMED' });
    assert.throws(() => decodeAddress(Buffer.from([2, 32, 0, 0, 1, 0, 0, 0])), { code: 'ERR_NETLINK_MALFORMED' });
  });
});
