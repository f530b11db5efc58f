// A netlink socket closes itself after a timeout; the link subsystem must not stay dead with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError } from '../../../../src/errors.ts';
import { NLMSG_ERROR } from '../../../../src/kernel/netlink/constants.ts';
import { encodeMessage, parseMessages } from '../../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../../src/kernel/netlink/socket.ts';
import type { NetlinkTransport, TransportHandlers } from '../../../../src/kernel/netlink/transport.ts';
import { RtnetlinkLinks } from '../../../../src/kernel/link/rtnetlink.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';

/** Never answers (answering=false) or ACKs every message. */
class Transport implements NetlinkTransport {
  readonly receiveBufferBytes = 425_984;
  handlers: TransportHandlers | undefined;
  closed = false;
  readonly answering: boolean;
  constructor(answering: boolean) {
    this.answering = answering;
  }
  start(handlers: TransportHandlers): void { this.handlers = handlers; }
  setActive(): void {}
  close(): void { this.closed = true; }
  send(datagram: Buffer, done: (errno: number | undefined) => void): void {
    done(undefined);
    if (!this.answering) return;
    for (const m of parseMessages(datagram)) {
      const payload = Buffer.alloc(4 + 16);
      payload.writeInt32LE(0, 0);
      queueMicrotask(() => this.handlers?.message(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: m.seq, payload }), 0));
    }
  }
}

test('a socket that timed out is replaced on the next call', async () => {
  const dead = new Transport(false);
  const clock = new ManualClock();
  const sockets: Transport[] = [];
  const links = new RtnetlinkLinks(new NetlinkSocket(dead, { timeoutMs: 30, clock }), () => {
    const t = new Transport(true);
    sockets.push(t);
    return new NetlinkSocket(t, { timeoutMs: 1000, clock });
  });
  const timedOut = assert.rejects(links.deleteLink('kube-ipvs0'), TimeoutError);
  await clock.advance(30);
  await timedOut;
  assert.equal(dead.closed, true);
  await links.deleteLink('kube-ipvs0');
  assert.equal(sockets.length, 1);
  await links.close();
  assert.equal(sockets[0]?.closed, true);
});
