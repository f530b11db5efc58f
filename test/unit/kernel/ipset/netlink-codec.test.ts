/**
 * Golden bytes for one ADD/DEL of each set type we use, written field by field from the kernel's
 * layout (ip_set.h enums, ip_set_core.c flag_exist/call_ad, the types' uadt functions): nlmsghdr,
 * struct nfgenmsg, IPSET_ATTR_PROTOCOL (1) u8 6, IPSET_ATTR_SETNAME (2), IPSET_ATTR_DATA (7 |
 * NLA_F_NESTED 0x8000) holding IP (1, nested) { IPADDR_IPV4 (1) / IPV6 (2) | NLA_F_NET_BYTEORDER
 * 0x4000 }, PORT (4 | 0x4000, be16), PROTO (7, u8), IP2 (20, nested), CIDR (3) / CIDR2 (21) u8.
 * Every attribute is little-endian len (header included, padding excluded), le16 type, padded to 4.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../../../../src/errors.ts';
import { NLM_F_ACK, NLM_F_REQUEST } from '../../../../src/kernel/netlink/constants.ts';
import { encodeMessage } from '../../../../src/kernel/netlink/message.ts';
import { parseMemberText, validateEntry } from '../../../../src/kernel/ipset/members.ts';
import {
  IpsetCmd, IpsetErr, decodeHeaderReply, encodeHeaderRequest, encodeMember, ipsetErrno, type IpsetMemberCmd,
} from '../../../../src/kernel/ipset/netlink-codec.ts';
import type { SetType } from '../../../../src/kernel/ipset/types.ts';
import type { IpFamily } from '../../../../src/validate/validate.ts';

const ctx = { operation: 'test' };

/** The whole message as sent with seq 1 (NetlinkSocket adds NLM_F_REQUEST | NLM_F_ACK). */
function wire(cmd: IpsetMemberCmd, set: string, type: SetType, family: IpFamily, member: string, exist: boolean): string {
  const entry = validateEntry(parseMemberText(member, type, ctx), { name: set, type, family }, ctx);
  const m = encodeMember(cmd, set, type, family, entry, exist);
  return encodeMessage({ type: m.type, flags: NLM_F_REQUEST | NLM_F_ACK | m.flags, seq: 1, payload: m.payload }).toString('hex');
}

const hex = (...parts: string[]): string => parts.join('').replace(/\s+/g, '');
const name = (s: string): string => Buffer.from(s, 'latin1').toString('hex');
// nlmsghdr tail (seq 1, pid 0), nfgenmsg (AF_INET, NFNETLINK_V0, res_id 0), IPSET_ATTR_PROTOCOL 6.
const SEQ_PID = '01000000 00000000';
const NFGEN_PROTOCOL = '02000000' + '05000100 06000000';
const ADD_EXIST = '0906 0500'; // type (6 << 8) | 9, flags REQUEST|ACK
const ADD_EXCL = '0906 0502'; // + NLM_F_EXCL (0x200): no -exist
const DEL_EXCL = '0a06 0502'; // type (6 << 8) | 10

describe('ipset netlink codec: golden bytes from the kernel layout', () => {
  it('hash:ip IPv4 add -exist', () => {
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-IPVS-IPS', 'hash:ip', 4, '10.96.0.1', true), hex(
      '40000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '12000200', name('KUBE-IPVS-IPS'), '00', '0000', // SETNAME: 4 + 14, pad 2
      '10000780', // DATA, len 16
      '0c000180', '08000140', '0a600001', // IP { IPV4|NET_BYTEORDER 10.96.0.1 }
    ));
  });

  it('hash:ip IPv6 add without -exist', () => {
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-6-IPVS-IPS', 'hash:ip', 6, 'fd00::1', false), hex(
      '4c000000', ADD_EXCL, SEQ_PID, NFGEN_PROTOCOL,
      '14000200', name('KUBE-6-IPVS-IPS'), '00', // SETNAME: 4 + 16
      '1c000780', // DATA, len 28
      '18000180', '14000240', 'fd000000000000000000000000000001', // IP { IPV6|NET_BYTEORDER }
    ));
  });

  it('hash:ip,port IPv4 del without -exist', () => {
    assert.equal(wire(IpsetCmd.DEL, 'KUBE-CLUSTER-IP', 'hash:ip,port', 4, '10.96.0.10,udp:53', false), hex(
      '50000000', DEL_EXCL, SEQ_PID, NFGEN_PROTOCOL, // 16 + 4 + 8 + 20 + 32
      '14000200', name('KUBE-CLUSTER-IP'), '00',
      '20000780', // DATA, len 32
      '0c000180', '08000140', '0a60000a',
      '06000440', '0035', '0000', // PORT|NET_BYTEORDER be16 53
      '05000700', '11', '000000', // PROTO 17 (udp)
    ));
  });

  it('hash:ip,port,ip IPv4 and IPv6 add -exist', () => {
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-LOOP-BACK', 'hash:ip,port,ip', 4, '10.244.0.5,tcp:8080,10.244.0.5', true), hex(
      '5c000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '13000200', name('KUBE-LOOP-BACK'), '00', '00', // SETNAME: 4 + 15, pad 1
      '2c000780', // DATA, len 44
      '0c000180', '08000140', '0af40005',
      '06000440', '1f90', '0000', // 8080
      '05000700', '06', '000000', // tcp
      '0c001480', '08000140', '0af40005', // IP2 (20 | NESTED)
    ));
    const v6 = 'fd000000000000000000000000000005';
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-6-LOOP-BACK', 'hash:ip,port,ip', 6, 'fd00::5,sctp:8080,fd00::5', true), hex(
      '78000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '15000200', name('KUBE-6-LOOP-BACK'), '00', '000000', // SETNAME: 4 + 17, pad 3
      '44000780', // DATA, len 68
      '18000180', '14000240', v6,
      '06000440', '1f90', '0000',
      '05000700', '84', '000000', // sctp 132
      '18001480', '14000240', v6,
    ));
  });

  it('hash:ip,port,net IPv4 and IPv6 add -exist: the net as IP2 + CIDR2, also for a host net', () => {
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net', 4, '1.2.3.4,tcp:80,10.0.0.0/8', true), hex(
      '74000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '23000200', name('KUBE-LOAD-BALANCER-SOURCE-CIDR'), '00', '00', // SETNAME: 4 + 31, pad 1
      '34000780', // DATA, len 52
      '0c000180', '08000140', '01020304',
      '06000440', '0050', '0000',
      '05000700', '06', '000000',
      '0c001480', '08000140', '0a000000',
      '05001500', '08', '000000', // CIDR2 (21) 8
    ));
    const msg = wire(IpsetCmd.ADD, 'KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net', 4, '1.2.3.4,tcp:80,10.1.2.3', true);
    assert.ok(msg.endsWith(hex('0c001480', '08000140', '0a010203', '05001500', '20', '000000')), 'a bare address is a /32');
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-6-LOAD-BALANCER-SOURCE-CID', 'hash:ip,port,net', 6, 'fd00::1,tcp:80,fd00:1::/64', true), hex(
      '8c000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '24000200', name('KUBE-6-LOAD-BALANCER-SOURCE-CID'), '00', // SETNAME: 4 + 32
      '4c000780', // DATA, len 76
      '18000180', '14000240', 'fd000000000000000000000000000001',
      '06000440', '0050', '0000',
      '05000700', '06', '000000',
      '18001480', '14000240', 'fd000001000000000000000000000000',
      '05001500', '40', '000000', // CIDR2 64
    ));
  });

  it('bitmap:port and hash:net add -exist', () => {
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-NODE-PORT-TCP', 'bitmap:port', 4, '30080', true), hex(
      '40000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL,
      '17000200', name('KUBE-NODE-PORT-TCP'), '00', '00', // SETNAME: 4 + 19, pad 1
      '0c000780', // DATA, len 12
      '06000440', '7580', '0000', // PORT 30080
    ));
    assert.equal(wire(IpsetCmd.ADD, 'KUBE-TEST-NET', 'hash:net', 4, '192.168.0.0/16', true), hex(
      '48000000', ADD_EXIST, SEQ_PID, NFGEN_PROTOCOL, // 16 + 4 + 8 + 20 + 24
      '12000200', name('KUBE-TEST-NET'), '00', '0000',
      '18000780', // DATA, len 24
      '0c000180', '08000140', 'c0a80000',
      '05000300', '10', '000000', // CIDR (3) 16
    ));
  });

  it('HEADER: request and reply', () => {
    assert.equal(encodeHeaderRequest('KUBE-LOOP-BACK').toString('hex'), hex(NFGEN_PROTOCOL, '13000200', name('KUBE-LOOP-BACK'), '00', '00'));
    // Reply as ip_set_header builds it: PROTOCOL, SETNAME, TYPENAME (3), FAMILY (5), REVISION (4).
    const reply = Buffer.from(hex(
      '02000000', '05000100', '06000000',
      '13000200', name('KUBE-LOOP-BACK'), '00', '00',
      '14000300', name('hash:ip,port,ip'), '00', // TYPENAME: 4 + 16
      '05000500', '0a', '000000', // FAMILY NFPROTO_IPV6
      '05000400', '05', '000000',
    ), 'hex');
    assert.deepEqual(decodeHeaderReply(reply, ctx), { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 10 });
    assert.throws(() => decodeHeaderReply(reply.subarray(0, 12), ctx), { code: 'ERR_NETLINK_MALFORMED' });
  });

  it('maps ipset codes to the errnos of ipset restore', () => {
    assert.equal(ipsetErrno(IpsetErr.EXIST, IpsetCmd.ADD, 'hash:ip'), Errno.EEXIST);
    assert.equal(ipsetErrno(IpsetErr.EXIST, IpsetCmd.DEL, 'hash:ip'), Errno.ENOENT);
    assert.equal(ipsetErrno(IpsetErr.TYPE_SPECIFIC, IpsetCmd.ADD, 'hash:ip,port'), Errno.ENOSPC);
    assert.equal(ipsetErrno(IpsetErr.TYPE_SPECIFIC, IpsetCmd.ADD, 'bitmap:port'), Errno.ERANGE);
    assert.equal(ipsetErrno(IpsetErr.PROTOCOL, IpsetCmd.ADD, 'hash:ip'), Errno.EINVAL);
    assert.equal(ipsetErrno(Errno.ENOENT, IpsetCmd.ADD, 'hash:ip'), Errno.ENOENT);
  });
});
