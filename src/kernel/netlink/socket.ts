/**
 * NetlinkSocket: requests, dumps and batches over one netlink socket, with replies matched to
 * requests by sequence number. API (shared by generic netlink IPVS and rtnetlink):
 *
 *   const socket = NetlinkSocket.open(NETLINK_ROUTE, { receiveBufferBytes?, timeoutMs? });
 *   await socket.request({ type, flags?, payload }, context)  // NLM_F_REQUEST|NLM_F_ACK; resolves
 *       with the payloads of the data replies (often []), rejects with KernelError(errno)
 *   await socket.dump({ type, flags?, payload }, context)     // NLM_F_DUMP; payloads of every
 *       multipart reply until NLMSG_DONE
 *   await socket.batch([{ type, flags?, payload, context }])  // many messages per sendmsg;
 *       resolves with one KernelError | undefined per message, in order
 *   await socket.batchFrom({ length, message(i), context(i) }) // the same, but each message is
 *       produced when its datagram is built, so a 100k-message batch is never in memory at once
 *   socket.close()
 *
 * `payload` is everything after struct nlmsghdr (e.g. struct ifinfomsg + attributes, or the genl
 * header + attributes). Callers' `flags` are OR-ed with NLM_F_REQUEST (and ACK/DUMP as above).
 * Requests that fail as a whole (socket closed, reply timeout, lost replies) reject with a
 * ProxierError (TimeoutError for a timeout); after such a failure the socket is closed and every
 * later call rejects with code ERR_NETLINK_CLOSED: open a new socket.
 *
 * Safety by design (netlink 0.3.0 aborts the process on an asynchronous ENOBUFS):
 * - SO_RCVBUF is raised (default request 4 MiB; the kernel caps it at net.core.rmem_max and doubles
 *   it) and the real size is read back.
 * - Every request/dump/datagram reserves its worst-case reply bytes (see window.ts); nothing is sent
 *   unless the reservations fit in 3/4 of the real receive buffer, so the kernel never has to drop a
 *   reply. Dumps are flow-controlled by the kernel itself and run one at a time (the kernel answers
 *   EBUSY to a second dump on the same socket).
 * - Batches: NLM_F_ACK only on the LAST message of each datagram. The kernel (netlink_rcv_skb)
 *   handles a datagram's messages in order inside sendmsg, always sends an error reply for a failed
 *   message, and queues replies in order; so once the last message's ACK (or error) arrives, every
 *   message without an error reply succeeded. This halves the reply skbs (and the recvmsg calls,
 *   ~20x slower under UML) compared with an ACK per message; the worst case (every message fails)
 *   is what the reservation covers anyway.
 * - Every listener is total; a reply we cannot parse fails the socket instead of escaping.
 * - Every sent request has a timeout (TimeoutError), on the injected clock. A dump re-arms it on
 *   every reply, as before: the clock adds one function call to a clearTimeout/setTimeout pair.
 */
import { realClock, type Clock, type TimerHandle } from '../../clock.ts';
import { KernelError, ProxierError, TimeoutError, type ErrorContext } from '../../errors.ts';
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, nlmsgAlign, NLMSG_HDRLEN } from './constants.ts';
import { encodeMessageInto, parseDonePayload, parseErrorPayload, parseMessages, type NetlinkMessage } from './message.ts';
import { RawNetlinkTransport, type NetlinkTransport } from './transport.ts';
import {
  DUMP_REPLY_RESERVE, MAX_DATAGRAM_BYTES, REQUEST_REPLY_RESERVE, datagramReserveLimit, replyCapacity, replyReserve,
} from './window.ts';

export interface NetlinkRequest {
  readonly type: number;
  readonly flags?: number;
  readonly payload: Uint8Array;
}

export interface NetlinkBatchMessage extends NetlinkRequest {
  readonly context: ErrorContext;
}

export interface NetlinkSocketOptions {
  /** SO_RCVBUF to ask for (default 4 MiB; the kernel caps it at net.core.rmem_max and doubles it). */
  readonly receiveBufferBytes?: number;
  /** Per request/datagram reply timeout (default 30 s); a dump's timer restarts on every reply. */
  readonly timeoutMs?: number;
  /** Runs the reply timeouts (default: real time). */
  readonly clock?: Clock;
}

export type BatchOutcome = KernelError | undefined;

/**
 * A batch whose messages are produced on demand: `message(i)` is called once per message, in
 * order, when the datagram holding it is built (only the datagrams in flight are in memory);
 * `context(i)` only for a message that failed. If `message` throws, the batch rejects with that
 * error (datagrams already sent stay sent).
 */
export interface NetlinkBatchSource {
  readonly length: number;
  message(index: number): NetlinkRequest;
  context(index: number): ErrorContext;
}

const DEFAULT_RECEIVE_BUFFER = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

type WorkKind = 'request' | 'dump' | 'datagram';

interface WireMessage {
  readonly type: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

interface Work {
  readonly kind: WorkKind;
  /** Emptied once encoded into the datagram: replies only need `count` and `contextOf`. */
  messages: readonly WireMessage[];
  readonly count: number;
  readonly reserve: number;
  contextOf(index: number): ErrorContext;
  resolve(exchange: Exchange): void;
  reject(error: Error): void;
}

/** A batch in the send queue: cut into datagrams one at a time, as the reply budget allows. */
interface BatchStream {
  readonly kind: 'stream';
  readonly source: NetlinkBatchSource;
  readonly outcomes: BatchOutcome[];
  /** Next message to pull from the source. */
  next: number;
  /** A pulled message that did not fit in the previous datagram. */
  carried: WireMessage | undefined;
  /** The next datagram, built but not yet sent (the budget was full). */
  ready: Work | undefined;
  inFlight: number;
  settled: boolean;
  resolve(outcomes: BatchOutcome[]): void;
  reject(error: Error): void;
}

interface Exchange {
  readonly work: Work;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly payloads: Buffer[];
  readonly outcomes: BatchOutcome[];
  timer: TimerHandle | undefined;
  done: boolean;
}

export class NetlinkSocket {
  readonly #transport: NetlinkTransport;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #queue: (Work | BatchStream)[] = [];
  readonly #pending = new Map<number, Exchange>();
  readonly #inFlight = new Set<Exchange>();
  #reserved = 0;
  #dumpRunning = false;
  #seq = Math.floor(Math.random() * 0x7fffffff);
  #failure: ProxierError | undefined;

  static open(protocol: number, options: NetlinkSocketOptions = {}): NetlinkSocket {
    const transport = new RawNetlinkTransport(protocol, options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
    return new NetlinkSocket(transport, options);
  }

  /** Use `open`; this constructor is for injecting a transport in tests. */
  constructor(transport: NetlinkTransport, options: NetlinkSocketOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? realClock;
    this.#capacity = replyCapacity(transport.receiveBufferBytes);
    transport.start({
      message: (datagram, fromPort) => this.#guard(() => this.#onDatagram(datagram, fromPort)),
      truncated: () => this.#guard(() => this.#fail(new ProxierError('ERR_NETLINK_TRUNCATED', 'a netlink reply was truncated', { operation: 'netlink.receive' }))),
      error: (cause) => this.#guard(() => this.#onSocketError(cause)),
    });
  }

  /** The real SO_RCVBUF. */
  get receiveBufferBytes(): number {
    return this.#transport.receiveBufferBytes;
  }

  /** Reply bytes that may be outstanding at once. */
  get replyCapacity(): number {
    return this.#capacity;
  }

  get closed(): boolean {
    return this.#failure !== undefined;
  }

  request(message: NetlinkRequest, context: ErrorContext): Promise<Buffer[]> {
    const flags = NLM_F_REQUEST | NLM_F_ACK | (message.flags ?? 0);
    return this.#submit('request', { type: message.type, flags, payload: message.payload }, context, REQUEST_REPLY_RESERVE)
      .then((exchange) => exchange.payloads);
  }

  dump(message: NetlinkRequest, context: ErrorContext): Promise<Buffer[]> {
    const flags = NLM_F_REQUEST | NLM_F_DUMP | (message.flags ?? 0);
    return this.#submit('dump', { type: message.type, flags, payload: message.payload }, context, DUMP_REPLY_RESERVE)
      .then((exchange) => exchange.payloads);
  }

  batch(messages: readonly NetlinkBatchMessage[]): Promise<BatchOutcome[]> {
    return this.batchFrom({ length: messages.length, message: (i) => messageAt(messages, i), context: (i) => messageAt(messages, i).context });
  }

  batchFrom(source: NetlinkBatchSource): Promise<BatchOutcome[]> {
    return new Promise<BatchOutcome[]>((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#closedError());
        return;
      }
      if (source.length === 0) {
        resolve([]);
        return;
      }
      this.#queue.push({
        kind: 'stream', source, outcomes: new Array<BatchOutcome>(source.length).fill(undefined), next: 0, carried: undefined,
        ready: undefined, inFlight: 0, settled: false, resolve, reject,
      });
      this.#pump();
    });
  }

  close(): void {
    this.#fail(new ProxierError('ERR_NETLINK_CLOSED', 'netlink socket closed', { operation: 'netlink.close' }));
  }

  #submit(kind: WorkKind, message: WireMessage, context: ErrorContext, reserve: number): Promise<Exchange> {
    return new Promise<Exchange>((resolve, reject) => {
      if (this.#failure !== undefined) {
        reject(this.#closedError());
        return;
      }
      this.#queue.push({ kind, messages: [message], count: 1, reserve, contextOf: () => context, resolve, reject });
      this.#pump();
    });
  }

  #closedError(): ProxierError {
    return new ProxierError('ERR_NETLINK_CLOSED', 'netlink socket is closed', { operation: 'netlink.send', cause: this.#failure });
  }

  /** Sends queued work while its worst-case replies fit in the receive buffer. */
  #pump(): void {
    while (this.#failure === undefined) {
      const head = this.#queue[0];
      if (head === undefined) break;
      const work = head.kind === 'stream' ? this.#nextDatagram(head) : head;
      if (work === undefined) {
        this.#queue.shift(); // a stream with nothing left to send
        continue;
      }
      if (work.kind === 'dump' && this.#dumpRunning) break;
      // An item larger than the whole budget still goes out, alone.
      if (this.#inFlight.size > 0 && this.#reserved + work.reserve > this.#capacity) break;
      if (head.kind === 'stream') head.ready = undefined;
      else this.#queue.shift();
      this.#send(work);
    }
    if (this.#failure === undefined) this.#transport.setActive(this.#inFlight.size > 0 || this.#queue.length > 0);
  }

  /**
   * The stream's next datagram (built once, kept until sent), or undefined when it has no more.
   * Cut greedily like planDatagrams: within MAX_DATAGRAM_BYTES and half the reply budget; ACK on
   * the last message only.
   */
  #nextDatagram(stream: BatchStream): Work | undefined {
    if (stream.ready !== undefined || stream.settled) return stream.ready;
    const limit = datagramReserveLimit(this.#capacity);
    const start = stream.next - (stream.carried === undefined ? 0 : 1);
    const messages: WireMessage[] = [];
    let bytes = 0;
    let reserve = 0;
    try {
      for (;;) {
        const message = stream.carried ?? this.#pull(stream);
        if (message === undefined) break;
        stream.carried = undefined;
        const size = nlmsgAlign(NLMSG_HDRLEN + message.payload.length);
        const cost = replyReserve(size);
        if (messages.length > 0 && (bytes + size > MAX_DATAGRAM_BYTES || reserve + cost > limit)) {
          stream.carried = message;
          break;
        }
        messages.push(message);
        bytes += size;
        reserve += cost;
      }
    } catch (error) {
      this.#settleStream(stream, error instanceof Error ? error : new Error(String(error)));
      return undefined;
    }
    const last = messages.at(-1);
    if (last === undefined) return undefined;
    messages[messages.length - 1] = { ...last, flags: last.flags | NLM_F_ACK };
    stream.inFlight += 1;
    stream.ready = {
      kind: 'datagram', messages, count: messages.length, reserve,
      contextOf: (i) => stream.source.context(start + i),
      resolve: (exchange) => {
        stream.inFlight -= 1;
        exchange.outcomes.forEach((outcome, i) => { stream.outcomes[start + i] = outcome; });
        if (stream.inFlight === 0 && stream.next === stream.source.length && stream.carried === undefined) this.#settleStream(stream, undefined);
      },
      reject: (error) => { this.#settleStream(stream, error); },
    };
    return stream.ready;
  }

  #pull(stream: BatchStream): WireMessage | undefined {
    if (stream.next >= stream.source.length) return undefined;
    const m = stream.source.message(stream.next);
    stream.next += 1;
    return { type: m.type, flags: NLM_F_REQUEST | (m.flags ?? 0), payload: m.payload };
  }

  #settleStream(stream: BatchStream, error: Error | undefined): void {
    if (stream.settled) return;
    stream.settled = true;
    stream.ready = undefined;
    stream.carried = undefined;
    if (error === undefined) stream.resolve(stream.outcomes);
    else stream.reject(error);
  }

  #nextSeq(): number {
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#seq;
  }

  #send(work: Work): void {
    const firstSeq = (this.#seq + 1) >>> 0;
    const datagram = this.#encode(work.messages);
    work.messages = [];
    const exchange: Exchange = {
      work,
      firstSeq,
      lastSeq: this.#seq,
      payloads: [],
      outcomes: new Array<BatchOutcome>(work.count).fill(undefined),
      timer: undefined,
      done: false,
    };
    for (let i = 0; i < work.count; i++) this.#pending.set((firstSeq + i) >>> 0, exchange);
    this.#inFlight.add(exchange);
    this.#reserved += work.reserve;
    if (work.kind === 'dump') this.#dumpRunning = true;
    this.#arm(exchange);
    try {
      this.#transport.send(datagram, (errno) => this.#guard(() => this.#onSent(exchange, errno)));
    } catch (cause) {
      this.#fail(new ProxierError('ERR_NETLINK_SEND', 'netlink send failed', { operation: 'netlink.send', cause }));
    }
  }

  /** The messages as one datagram, numbered from the next sequence number (one allocation). */
  #encode(messages: readonly WireMessage[]): Buffer {
    let total = 0;
    for (const m of messages) total += nlmsgAlign(NLMSG_HDRLEN + m.payload.length);
    const out = Buffer.alloc(total);
    let offset = 0;
    for (const m of messages) {
      encodeMessageInto(out, offset, { type: m.type, flags: m.flags, seq: this.#nextSeq(), payload: m.payload });
      offset += nlmsgAlign(NLMSG_HDRLEN + m.payload.length);
    }
    return out;
  }

  #arm(exchange: Exchange): void {
    this.#clock.clearTimer(exchange.timer);
    exchange.timer = this.#clock.setTimeout(() => this.#guard(() => this.#onTimeout(exchange)), this.#timeoutMs);
  }

  #onSent(exchange: Exchange, errno: number | undefined): void {
    if (errno === undefined || exchange.done) return;
    // sendmsg failed before the kernel looked at any message: each one failed with that errno.
    const error = (i: number): KernelError => new KernelError(errno, exchange.work.contextOf(i));
    if (exchange.work.kind === 'datagram') {
      for (let i = 0; i < exchange.outcomes.length; i++) exchange.outcomes[i] = error(i);
      this.#finish(exchange, undefined);
    } else {
      this.#finish(exchange, error(0));
    }
  }

  #onTimeout(exchange: Exchange): void {
    if (exchange.done) return;
    const context = exchange.work.contextOf(exchange.work.count - 1);
    const timeout = new TimeoutError(context, this.#timeoutMs);
    // A missing reply means the sequence/budget bookkeeping can no longer be trusted: fail the socket
    // (before anything else is sent), the timed-out request with the TimeoutError itself.
    this.#fail(
      new ProxierError('ERR_NETLINK_CLOSED', 'netlink socket closed after a reply timeout', { operation: 'netlink.receive', cause: timeout }),
      exchange,
      timeout,
    );
  }

  #onSocketError(cause: unknown): void {
    const errno = cause && typeof cause === 'object' && 'errno' in cause && typeof cause.errno === 'number' ? Math.abs(cause.errno) : undefined;
    const context = { operation: 'netlink.receive', cause };
    this.#fail(errno === undefined ? new ProxierError('ERR_NETLINK_SOCKET', 'netlink socket error', context) : new KernelError(errno, context));
  }

  #onDatagram(datagram: Buffer, fromPort: number): void {
    if (fromPort !== 0) return; // only the kernel answers us
    let messages: NetlinkMessage[];
    try {
      messages = parseMessages(datagram);
    } catch (error) {
      this.#fail(error instanceof ProxierError ? error : new ProxierError('ERR_NETLINK_MALFORMED', 'bad netlink reply', { operation: 'netlink.receive', cause: error }));
      return;
    }
    for (const message of messages) {
      if (this.#failure !== undefined) return;
      this.#onMessage(message);
    }
  }

  #onMessage(message: NetlinkMessage): void {
    if (message.type === NLMSG_OVERRUN) {
      this.#fail(new KernelError(105 /* ENOBUFS */, { operation: 'netlink.receive' }, 'NLMSG_OVERRUN'));
      return;
    }
    const exchange = this.#pending.get(message.seq);
    if (exchange === undefined || message.type === NLMSG_NOOP) return; // not ours (or a late reply)
    try {
      this.#dispatch(exchange, message);
    } catch (error) {
      this.#finish(exchange, error instanceof Error ? error : new Error(String(error)));
    }
  }

  #dispatch(exchange: Exchange, message: NetlinkMessage): void {
    const kind = exchange.work.kind;
    const index = (message.seq - exchange.firstSeq) >>> 0;
    if (message.type === NLMSG_ERROR) {
      const { errno } = parseErrorPayload(message.payload);
      const error = errno === 0 ? undefined : new KernelError(errno, exchange.work.contextOf(index));
      if (kind === 'datagram') {
        exchange.outcomes[index] = error;
        if (message.seq === exchange.lastSeq) this.#finish(exchange, undefined);
      } else {
        this.#finish(exchange, error);
      }
      return;
    }
    if (message.type === NLMSG_DONE && kind === 'dump') {
      const { errno } = parseDonePayload(message.payload);
      this.#finish(exchange, errno === 0 ? undefined : new KernelError(errno, exchange.work.contextOf(index)));
      return;
    }
    if (kind === 'datagram') return; // a batch expects only ACKs/errors
    exchange.payloads.push(Buffer.from(message.payload)); // copy: the datagram buffer is shared
    if (kind === 'dump') this.#arm(exchange);
  }

  #finish(exchange: Exchange, error: Error | undefined): void {
    if (exchange.done) return;
    exchange.done = true;
    this.#clock.clearTimer(exchange.timer);
    const count = exchange.work.count;
    for (let i = 0; i < count; i++) this.#pending.delete((exchange.firstSeq + i) >>> 0);
    this.#inFlight.delete(exchange);
    this.#reserved -= exchange.work.reserve;
    if (exchange.work.kind === 'dump') this.#dumpRunning = false;
    if (error === undefined) exchange.work.resolve(exchange);
    else exchange.work.reject(error);
    this.#pump();
  }

  /** Fails everything outstanding and queued with `failure`, and closes the transport. */
  #fail(failure: ProxierError, culprit?: Exchange, culpritError?: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    for (const exchange of [...this.#inFlight]) {
      exchange.done = true;
      this.#clock.clearTimer(exchange.timer);
      exchange.work.reject(exchange === culprit && culpritError !== undefined ? culpritError : failure);
    }
    this.#inFlight.clear();
    this.#pending.clear();
    this.#reserved = 0;
    for (const work of this.#queue.splice(0)) work.reject(failure);
    try {
      this.#transport.close();
    } catch {
      // already closed
    }
  }

  /** Runs a callback that native code invoked: nothing may escape (it would abort the process). */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (cause) {
      try {
        this.#fail(new ProxierError('ERR_NETLINK_INTERNAL', 'netlink reply handling failed', { operation: 'netlink.receive', cause }));
      } catch {
        // nothing more we can do safely
      }
    }
  }
}

function messageAt(messages: readonly NetlinkBatchMessage[], index: number): NetlinkBatchMessage {
  const m = messages[index];
  if (m === undefined) throw new RangeError(`no batch message ${index}`);
  return m;
}
