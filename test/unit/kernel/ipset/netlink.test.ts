/**
 * NetlinkIpsetMembers and HybridIpset against a fake netfilter socket that answers like ip_set_core:
 * HEADER with the set's type and family (or -ENOENT), ADD/DEL with -IPSET_ERR_EXIST unless the
 * request lacks NLM_F_EXCL. Which messages are sent, and how answers become errors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, ValidationError } from '../../../../src/errors.ts';
import { AttributeWriter, parseAttributes } from '../../../../src/kernel/netlink/attributes.ts';
import { NLMSG_ERROR, NLM_F_ACK, NLM_F_EXCL } from '../../../../src/kernel/netlink/constants.ts';
import { encodeMessage, parseMessages, type NetlinkMessage } from '../../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../../src/kernel/netlink/socket.ts';
import type { NetlinkTransport, TransportHandlers } from '../../../../src/kernel/netlink/transport.ts';
import { FakeIpset } from '../../../../src/kernel/ipset/fake.ts';
import { HybridIpset } from '../../../../src/kernel/ipset/hybrid.ts';
import { NetlinkIpsetMembers } from '../../../../src/kernel/ipset/netlink.ts';
import { IpsetAttr, IpsetCmd, IpsetErr, NFPROTO_IPV4, NFPROTO_IPV6, nfnlPayload } from '../../../../src/kernel/ipset/netlink-codec.ts';
import { IpsetNetlinkError } from '../../../../src/kernel/ipset/netlink-error.ts';
import { IpsetTransaction } from '../../../../src/kernel/ipset/transaction.ts';
import type { SetSpec } from '../../../../src/kernel/ipset/types.ts';

interface FakeSet { type: string; family: number; members: Set<string> }

/** Holds sets; an element is keyed by its raw IPSET_ATTR_DATA bytes. */
class FakeNetfilter implements NetlinkTransport {
  readonly receiveBufferBytes = 425984;
  readonly sets = new Map<string, FakeSet>();
  readonly datagrams: NetlinkMessage[][] = [];
  #handlers: TransportHandlers | undefined;

  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  setActive(): void {}

  close(): void {}

  send(datagram: Buffer, done: (errno: number | undefined) => void): void {
    const messages = parseMessages(datagram);
    this.datagrams.push(messages);
    setImmediate(() => {
      done(undefined);
      for (const m of messages) this.#answer(m);
    });
  }

  #answer(m: NetlinkMessage): void {
    const attrs = parseAttributes(m.payload.subarray(4));
    const set = this.sets.get(attrs.string(IpsetAttr.SETNAME) ?? '');
    const cmd = m.type & 0xff;
    let error = 0;
    if (set === undefined) {
      error = -Errno.ENOENT;
    } else if (cmd === IpsetCmd.HEADER) {
      const reply = new AttributeWriter().u8(IpsetAttr.PROTOCOL, 6).string(IpsetAttr.SETNAME, attrs.string(IpsetAttr.SETNAME) ?? '')
        .string(IpsetAttr.TYPENAME, set.type).u8(IpsetAttr.FAMILY, set.family).toBuffer();
      this.#handlers?.message(encodeMessage({ type: m.type, flags: 0, seq: m.seq, payload: nfnlPayload(reply) }), 0);
    } else {
      const key = attrs.get(IpsetAttr.DATA)?.toString('hex') ?? '';
      const present = set.members.has(key);
      if (cmd === IpsetCmd.ADD ? present : !present) error = (m.flags & NLM_F_EXCL) !== 0 ? -IpsetErr.EXIST : 0;
      else if (cmd === IpsetCmd.ADD) set.members.add(key);
      else set.members.delete(key);
    }
    if (error === 0 && (m.flags & NLM_F_ACK) === 0) return;
    const payload = Buffer.alloc(20);
    payload.writeInt32LE(error, 0);
    this.#handlers?.message(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: m.seq, payload }), 0);
  }
}

const IPS: SetSpec = { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 4 };
const CLUSTER: SetSpec = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4 };

function setup(): { kernel: FakeNetfilter; members: NetlinkIpsetMembers } {
  const kernel = new FakeNetfilter();
  kernel.sets.set(IPS.name, { type: 'hash:ip', family: NFPROTO_IPV4, members: new Set() });
  kernel.sets.set(CLUSTER.name, { type: 'hash:ip,port', family: NFPROTO_IPV4, members: new Set() });
  kernel.sets.set('KUBE-6-IPVS-IPS', { type: 'hash:ip', family: NFPROTO_IPV6, members: new Set() });
  return { kernel, members: new NetlinkIpsetMembers(() => new NetlinkSocket(kernel)) };
}

describe('NetlinkIpsetMembers', () => {
  it('one HEADER per distinct set, then every add/del in one datagram', async () => {
    const { kernel, members } = setup();
    const tx = new IpsetTransaction().add(IPS, '10.0.0.1').add(IPS, '10.0.0.2').add(CLUSTER, '10.96.0.1,tcp:80').del(IPS, '10.0.0.2');
    await members.apply(tx.operations.filter((op) => op.op === 'add' || op.op === 'del'));
    const headers = kernel.datagrams.filter((d) => d.every((m) => (m.type & 0xff) === IpsetCmd.HEADER));
    assert.equal(headers.length, 2);
    const writes = kernel.datagrams.filter((d) => !headers.includes(d));
    assert.deepEqual(writes.map((d) => d.map((m) => m.type & 0xff)), [[IpsetCmd.ADD, IpsetCmd.ADD, IpsetCmd.ADD, IpsetCmd.DEL]]);
    assert.equal(kernel.sets.get(IPS.name)?.members.size, 1);
    assert.equal(kernel.sets.get(CLUSTER.name)?.members.size, 1);
    members.close();
  });

  it('without -exist: EEXIST and ENOENT per failed operation, the others applied; missing set and wrong family never sent', async () => {
    const { kernel, members } = setup();
    await members.apply(new IpsetTransaction().add(IPS, '10.0.0.1').operations.filter((op) => op.op === 'add'));
    const tx = new IpsetTransaction({ exist: false })
      .add(IPS, '10.0.0.1').add(IPS, '10.0.0.3').del(CLUSTER, '10.96.0.9,udp:53')
      .add({ name: 'KUBE-GONE', type: 'hash:ip', family: 4 }, '10.0.0.4').add({ ...IPS, name: 'KUBE-6-IPVS-IPS' }, '10.0.0.5');
    const sentBefore = kernel.datagrams.flat().length;
    const err: unknown = await members.apply(tx.operations.filter((op) => op.op === 'add' || op.op === 'del')).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetNetlinkError);
    assert.deepEqual([err.errno, err.failedIndex, err.object], [Errno.EEXIST, 0, 'set KUBE-IPVS-IPS member 10.0.0.1']);
    assert.deepEqual(err.failures.map((f) => [f.index, f.error.errno, f.error.object]), [
      [0, Errno.EEXIST, 'set KUBE-IPVS-IPS member 10.0.0.1'],
      [2, Errno.ENOENT, 'set KUBE-CLUSTER-IP member 10.96.0.9,udp:53'],
      [3, Errno.ENOENT, 'set KUBE-GONE member 10.0.0.4'],
      [4, Errno.EINVAL, 'set KUBE-6-IPVS-IPS member 10.0.0.5'],
    ]);
    assert.deepEqual(err.failures.slice(2).map((f) => f.reason), ['set KUBE-GONE does not exist', '10.0.0.5 is not a hash:ip member of set KUBE-6-IPVS-IPS']);
    const writes = kernel.datagrams.flat().slice(sentBefore).filter((m) => (m.type & 0xff) !== IpsetCmd.HEADER);
    assert.equal(writes.length, 3, 'the add to a missing set and the IPv4 member of an IPv6 set are not sent');
    assert.ok(writes.every((m) => (m.flags & NLM_F_EXCL) !== 0));
    assert.equal(kernel.sets.get(IPS.name)?.members.size, 2, '10.0.0.3 was added after the failure');
    // With -exist (the default) the same changes succeed and set NLM_F_EXCL on nothing.
    const lenient = new IpsetTransaction().add(IPS, '10.0.0.1').del(CLUSTER, '10.96.0.9,udp:53');
    await members.apply(lenient.operations.filter((op) => op.op === 'add' || op.op === 'del'));
    assert.ok(kernel.datagrams.flat().slice(-2).every((m) => (m.flags & NLM_F_EXCL) === 0));
    members.close();
  });
});

describe('HybridIpset', () => {
  it('add/del-only transactions go over netlink, anything else to the restore backend; invalid transactions run nowhere', async () => {
    const { kernel, members } = setup();
    const restore = new FakeIpset();
    const hybrid = new HybridIpset(restore, members);
    await hybrid.apply(new IpsetTransaction().add(IPS, '10.0.0.1').del(CLUSTER, '10.96.0.1,tcp:1'));
    assert.deepEqual(restore.restores, []);
    assert.equal(kernel.sets.get(IPS.name)?.members.size, 1);
    await hybrid.apply(new IpsetTransaction().create(IPS).add(IPS, '10.0.0.2'));
    assert.equal(restore.restores.length, 1);
    await hybrid.apply(new IpsetTransaction().replaceMembers(IPS, ['10.0.0.3']));
    assert.equal(restore.restores.length, 2);
    const sent = kernel.datagrams.length;
    await assert.rejects(hybrid.apply(new IpsetTransaction().add(IPS, 'not-an-ip')), ValidationError);
    assert.equal(kernel.datagrams.length, sent);
    assert.equal(restore.restores.length, 2);
    assert.deepEqual(await hybrid.listMembers(IPS.name), ['10.0.0.3'], 'reads come from the restore backend');
    hybrid.close();
  });
});
