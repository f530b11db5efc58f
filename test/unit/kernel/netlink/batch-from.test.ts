// batchFrom builds each datagram only when the reply budget allows it: a 20k-message batch is never
// encoded (or held) all at once, and every message still gets exactly one outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NLMSG_ERROR, NLM_F_ACK } from '../../../../src/kernel/netlink/constants.ts';
import { encodeMessage, parseMessages } from '../../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../../src/kernel/netlink/socket.ts';
import type { NetlinkTransport, TransportHandlers } from '../../../../src/kernel/netlink/transport.ts';

/** Holds datagrams until released; then ACKs each datagram's last message (and fails message #7). */
class HeldTransport implements NetlinkTransport {
  readonly receiveBufferBytes = 425_984;
  handlers: TransportHandlers | undefined;
  readonly held: Buffer[] = [];
  start(handlers: TransportHandlers): void { this.handlers = handlers; }
  setActive(): void {}
  close(): void {}
  send(datagram: Buffer, done: (errno: number | undefined) => void): void {
    this.held.push(datagram);
    done(undefined);
  }
  releaseAll(): void {
    for (const datagram of this.held.splice(0)) {
      for (const m of parseMessages(datagram)) {
        const failed = m.payload.readUInt32LE(0) === 7;
        if ((m.flags & NLM_F_ACK) === 0 && !failed) continue;
        const payload = Buffer.alloc(4 + 16);
        payload.writeInt32LE(failed ? -17 : 0, 0);
        this.handlers?.message(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq: m.seq, payload }), 0);
      }
    }
  }
}

test('messages are produced per datagram as the reply budget frees up', async () => {
  const transport = new HeldTransport();
  const socket = new NetlinkSocket(transport, { timeoutMs: 5000 });
  const total = 20_000;
  let produced = 0;
  const result = socket.batchFrom({
    length: total,
    message: (i) => {
      produced++;
      const payload = Buffer.alloc(64);
      payload.writeUInt32LE(i, 0);
      return { type: 0x20, payload };
    },
    context: (i) => ({ operation: 'test', object: `#${i}` }),
  });
  await new Promise((r) => setImmediate(r));
  assert.ok(produced > 0 && produced < 1000, `produced ${produced} messages before any reply`);
  while (transport.held.length > 0) {
    transport.releaseAll();
    await new Promise((r) => setImmediate(r));
  }
  const outcomes = await result;
  assert.equal(produced, total);
  assert.equal(outcomes.length, total);
  assert.deepEqual(outcomes.flatMap((o, i) => (o === undefined ? [] : [[i, o.errno, o.object]])), [[7, 17, '#7']]);
  socket.close();
});
