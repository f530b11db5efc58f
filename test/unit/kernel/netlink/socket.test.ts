/**
 * NetlinkSocket against an injected fake transport (no kernel): reply matching, ACK policy, the
 * in-flight bound, and that nothing a reply does can escape a listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KernelError, ProxierError, TimeoutError } from '../../../../src/errors.ts';
import { NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLM_F_REQUEST } from '../../../../src/kernel/netlink/constants.ts';
import { encodeMessage, parseMessages, type NetlinkMessage } from '../../../../src/kernel/netlink/message.ts';
import { NetlinkSocket } from '../../../../src/kernel/netlink/socket.ts';
import type { NetlinkTransport, TransportHandlers } from '../../../../src/kernel/netlink/transport.ts';
import { MIN_REPLY_RESERVE, replyCapacity } from '../../../../src/kernel/netlink/window.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';

type Reply = { type: number; flags?: number; payload: Buffer };
/** What the fake kernel answers to one request message (beyond the ACK/error it adds itself). */
type Behaviour = (m: NetlinkMessage) => { errno?: number; data?: Reply[]; done?: number };

function errorReply(seq: number, errno: number, request: Buffer): Buffer {
  const payload = Buffer.alloc(4 + request.length);
  payload.writeInt32LE(-errno, 0);
  request.copy(payload, 4);
  return encodeMessage({ type: NLMSG_ERROR, flags: 0, seq, payload });
}

class FakeKernel implements NetlinkTransport {
  readonly receiveBufferBytes: number;
  handlers: TransportHandlers | undefined;
  readonly datagrams: NetlinkMessage[][] = [];
  outstanding = 0;
  maxOutstanding = 0;
  closed = false;
  active = false;
  sendErrno: number | undefined;
  /** When false, replies are never delivered (timeouts). */
  answer = true;
  behaviour: Behaviour = () => ({});

  constructor(receiveBufferBytes: number) {
    this.receiveBufferBytes = receiveBufferBytes;
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  setActive(active: boolean): void {
    this.active = active;
  }

  close(): void {
    this.closed = true;
  }

  deliver(datagram: Buffer, port = 0): void {
    this.handlers?.message(datagram, port);
  }

  send(datagram: Buffer, done: (errno: number | undefined) => void): void {
    assert.equal(this.closed, false, 'send after close');
    const messages = parseMessages(datagram);
    this.datagrams.push(messages);
    const errno = this.sendErrno;
    setImmediate(() => done(errno));
    if (errno !== undefined || !this.answer) return;
    this.outstanding += messages.length;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    // Replies come later (after everything the socket sends in this turn), as from a slow reader:
    // this is when in-flight requests pile up.
    setImmediate(() => {
      this.outstanding -= messages.length;
      for (const m of messages) this.#reply(m, datagram);
    });
  }

  #reply(m: NetlinkMessage, datagram: Buffer): void {
    const outcome = this.behaviour(m);
    const out: Buffer[] = [];
    for (const d of outcome.data ?? []) out.push(encodeMessage({ type: d.type, flags: d.flags ?? 0, seq: m.seq, payload: d.payload }));
    if ((m.flags & NLM_F_DUMP) === NLM_F_DUMP) {
      const done = Buffer.alloc(4);
      done.writeInt32LE(-(outcome.done ?? 0), 0);
      out.push(encodeMessage({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: m.seq, payload: done }));
    } else if (outcome.errno !== undefined || (m.flags & NLM_F_ACK) !== 0) {
      out.push(errorReply(m.seq, outcome.errno ?? 0, datagram.subarray(0, 16)));
    }
    for (const reply of out) this.deliver(reply);
  }
}

const ctx = (i: number) => ({ operation: 'test.op', object: `#${i}` });
const payloadOf = (i: number) => { const b = Buffer.alloc(96); b.writeUInt32LE(i, 0); return b; };

test('batch: per-message outcomes, ACK only on the last message of each datagram, in-flight bounded', async () => {
  const fake = new FakeKernel(64 * 1024);
  const socket = new NetlinkSocket(fake);
  fake.behaviour = (m) => { const i = m.payload.readUInt32LE(0); return i % 97 === 3 ? { errno: 17 } : {}; };
  const n = 2000;
  const outcomes = await socket.batch(Array.from({ length: n }, (_, i) => ({ type: 30, payload: payloadOf(i), context: ctx(i) })));
  assert.equal(outcomes.length, n);
  outcomes.forEach((o, i) => {
    if (i % 97 === 3) {
      assert.ok(o instanceof KernelError);
      assert.equal(o.errno, 17);
      assert.equal(o.object, `#${i}`);
    } else {
      assert.equal(o, undefined);
    }
  });
  // Every datagram asks for exactly one ACK, on its last message; all carry NLM_F_REQUEST.
  for (const d of fake.datagrams) {
    assert.ok(d.every((m) => (m.flags & NLM_F_REQUEST) !== 0));
    assert.deepEqual(d.map((m) => (m.flags & NLM_F_ACK) !== 0), d.map((_, i) => i === d.length - 1));
  }
  assert.ok(fake.datagrams.length > 2);
  // Worst-case replies never exceed the budget: 64 KiB * 3/4 / 2 KiB per reply = 24 messages.
  const bound = Math.floor(replyCapacity(64 * 1024) / MIN_REPLY_RESERVE);
  assert.equal(bound, 24);
  assert.ok(fake.maxOutstanding <= bound, `max in flight ${fake.maxOutstanding} > ${bound}`);
  assert.ok(fake.maxOutstanding >= bound / 2, 'pipelining: more than one datagram in flight');
  assert.equal(fake.active, false, 'idle socket does not hold the event loop');
  socket.close();
});

test('request: data replies then ACK; an error reply rejects with KernelError(errno)', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.behaviour = (m) => (m.type === 40 ? { errno: 3 } : { data: [{ type: 30, payload: Buffer.from('abcd') }] });
  assert.deepEqual(await socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(1)), [Buffer.from('abcd')]);
  const sent = fake.datagrams[0]?.[0];
  assert.equal(sent?.flags, NLM_F_REQUEST | NLM_F_ACK);
  await assert.rejects(socket.request({ type: 40, payload: Buffer.alloc(4) }, ctx(2)), (e: unknown) => e instanceof KernelError && e.errno === 3 && e.operation === 'test.op');
  socket.close();
});

test('dump: multipart replies until NLMSG_DONE; dumps run one at a time; DONE with an error rejects', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.behaviour = (m) => (m.type === 41
    ? { done: 16 }
    : { data: [1, 2, 3].map((i) => ({ type: 30, flags: NLM_F_MULTI, payload: Buffer.from([i, m.type]) })) });
  const [a, b] = await Promise.all([
    socket.dump({ type: 30, payload: Buffer.alloc(4) }, ctx(1)),
    socket.dump({ type: 31, payload: Buffer.alloc(4) }, ctx(2)),
  ]);
  assert.deepEqual(a.map((p) => [...p]), [[1, 30], [2, 30], [3, 30]]);
  assert.deepEqual(b.map((p) => [...p]), [[1, 31], [2, 31], [3, 31]]);
  assert.equal(fake.datagrams[0]?.[0]?.flags, NLM_F_REQUEST | NLM_F_DUMP);
  assert.equal(fake.maxOutstanding, 1, 'the second dump waited for the first one to finish');
  await assert.rejects(socket.dump({ type: 41, payload: Buffer.alloc(4) }, ctx(3)), (e: unknown) => e instanceof KernelError && e.errno === 16);
  socket.close();
});

test('a garbage or odd reply never escapes the listener; it fails the socket, later calls reject', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.answer = false;
  const pending = socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(1));
  await new Promise((r) => setImmediate(r));
  // From another port: ignored. Unknown seq: ignored. Neither throws.
  assert.doesNotThrow(() => fake.deliver(errorReply(12345, 0, Buffer.alloc(16)), 999));
  assert.doesNotThrow(() => fake.deliver(errorReply(12345, 0, Buffer.alloc(16))));
  // Not even a Buffer, then a broken length: still nothing thrown.
  assert.doesNotThrow(() => fake.handlers?.message(undefined as unknown as Buffer, 0));
  await assert.rejects(pending, (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  assert.equal(fake.closed, true);
  assert.equal(socket.closed, true);
  assert.doesNotThrow(() => fake.deliver(Buffer.from('ffff0000', 'hex')));
  await assert.rejects(socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(2)), (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_CLOSED');
});

test('a malformed datagram rejects what is in flight with ERR_NETLINK_MALFORMED', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.answer = false;
  const pending = socket.batch([{ type: 30, payload: Buffer.alloc(8), context: ctx(1) }]);
  await new Promise((r) => setImmediate(r));
  assert.doesNotThrow(() => fake.deliver(Buffer.from('40000000020000000100000000000000', 'hex')));
  await assert.rejects(pending, (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  assert.doesNotThrow(() => fake.handlers?.error(Object.assign(new Error('x'), { errno: 105 })));
  assert.doesNotThrow(() => fake.handlers?.truncated());
});

test('an asynchronous socket error (ENOBUFS) fails pending work with KernelError, not a crash', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.answer = false;
  const pending = socket.dump({ type: 30, payload: Buffer.alloc(4) }, ctx(1));
  await new Promise((r) => setImmediate(r));
  assert.doesNotThrow(() => fake.handlers?.error(Object.assign(new Error('recvmsg'), { errno: 105 })));
  await assert.rejects(pending, (e: unknown) => e instanceof KernelError && e.errno === 105);
});

test('no reply within timeoutMs: TimeoutError, and the socket is closed', async () => {
  const fake = new FakeKernel(425984);
  const clock = new ManualClock();
  const socket = new NetlinkSocket(fake, { timeoutMs: 30, clock });
  fake.answer = false;
  const a = socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(1));
  const b = socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(2));
  const outcomes = [
    assert.rejects(a, (e: unknown) => e instanceof TimeoutError && e.object === '#1'),
    assert.rejects(b, (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_CLOSED'),
  ];
  await clock.advance(29);
  assert.equal(fake.closed, false, 'no timeout before timeoutMs');
  await clock.advance(1);
  await Promise.all(outcomes);
  assert.equal(fake.closed, true);
  assert.equal(clock.pendingTimers, 0, 'no timer outlives the socket');
});

test('sendmsg failure: each batch message fails with that errno (the kernel saw none)', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.sendErrno = 90;
  const outcomes = await socket.batch([0, 1, 2].map((i) => ({ type: 30, payload: payloadOf(i), context: ctx(i) })));
  assert.deepEqual(outcomes.map((o) => o?.errno), [90, 90, 90]);
  assert.deepEqual(outcomes.map((o) => o?.object), ['#0', '#1', '#2']);
  socket.close();
});

test('a reply that fails to decode rejects only its own request; the socket keeps working', async () => {
  const fake = new FakeKernel(425984);
  const socket = new NetlinkSocket(fake);
  fake.answer = false;
  const pending = socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(1));
  await new Promise((r) => setImmediate(r));
  const seq = fake.datagrams[0]?.[0]?.seq ?? -1;
  // An NLMSG_ERROR whose payload is too short to hold the error code.
  assert.doesNotThrow(() => fake.deliver(encodeMessage({ type: NLMSG_ERROR, flags: 0, seq, payload: Buffer.alloc(2) })));
  await assert.rejects(pending, (e: unknown) => e instanceof ProxierError && e.code === 'ERR_NETLINK_MALFORMED');
  assert.equal(socket.closed, false);
  fake.answer = true;
  assert.deepEqual(await socket.request({ type: 30, payload: Buffer.alloc(4) }, ctx(2)), []);
  socket.close();
});
