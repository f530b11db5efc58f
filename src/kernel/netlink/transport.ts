/**
 * The datagram transport under NetlinkSocket: the real one wraps `RawNetlinkSocket` from the npm
 * package `netlink` 0.3.0 (its raw socket only), tests inject a fake.
 *
 * netlink 0.3.0 calls our listeners from native code (uv poll callbacks). An exception escaping a
 * listener there aborts the process, so every listener installed here is total: it catches
 * everything and hands problems to NetlinkSocket through `handlers.error`.
 */
import { RawNetlinkSocket } from 'netlink/dist/raw.js';
import { KernelError, ProxierError } from '../../errors.ts';

export interface TransportHandlers {
  /** One received datagram (it may hold several netlink messages) and the sender's port id. */
  message(datagram: Buffer, fromPort: number): void;
  /** A datagram was cut short: replies were lost, the stream cannot be trusted any more. */
  truncated(): void;
  /** An asynchronous socket error. */
  error(cause: unknown): void;
}

export interface NetlinkTransport {
  /** The real SO_RCVBUF after the kernel capped (net.core.rmem_max) and doubled our request. */
  readonly receiveBufferBytes: number;
  start(handlers: TransportHandlers): void;
  /** Sends one datagram; `done` gets the positive errno when sendmsg failed (nothing was processed). */
  send(datagram: Buffer, done: (errno: number | undefined) => void): void;
  /** Keeps the event loop alive only while requests are outstanding. */
  setActive(active: boolean): void;
  close(): void;
}

function errnoOf(cause: unknown): number | undefined {
  if (cause && typeof cause === 'object' && 'errno' in cause && typeof cause.errno === 'number') {
    return Math.abs(cause.errno);
  }
  return undefined;
}

export class RawNetlinkTransport implements NetlinkTransport {
  readonly receiveBufferBytes: number;
  readonly #raw: RawNetlinkSocket;
  #closed = false;

  constructor(protocol: number, receiveBufferBytes: number) {
    try {
      this.#raw = new RawNetlinkSocket(protocol);
    } catch (cause) {
      const errno = errnoOf(cause);
      const context = { operation: 'netlink.open', object: `protocol ${protocol}`, cause };
      throw errno === undefined ? new ProxierError('ERR_NETLINK_OPEN', 'cannot open a netlink socket', context) : new KernelError(errno, context);
    }
    // A no-op-safe listener from the first moment: an 'error' event without one would throw.
    this.#raw.on('error', () => undefined);
    try {
      // SO_RCVBUF is capped by net.core.rmem_max and then doubled by the kernel; read back the real size.
      this.#raw.setRecvBufferSize(receiveBufferBytes);
    } catch {
      // keep the default size; it is read back below and the reply budget follows it
    }
    this.receiveBufferBytes = this.#raw.getRecvBufferSize();
    this.#raw.unref();
  }

  start(handlers: TransportHandlers): void {
    this.#raw.on('message', (msg, rinfo) => {
      try {
        handlers.message(msg, rinfo.port);
      } catch {
        // handlers are total; this is the last line before a native abort
      }
    });
    this.#raw.on('truncatedMessage', () => {
      try {
        handlers.truncated();
      } catch {
        // see above
      }
    });
    this.#raw.on('error', (err) => {
      try {
        handlers.error(err);
      } catch {
        // see above
      }
    });
  }

  send(datagram: Buffer, done: (errno: number | undefined) => void): void {
    this.#raw.send(datagram, undefined, (error) => {
      try {
        done(error === undefined ? undefined : (errnoOf(error) ?? 5 /* EIO */));
      } catch {
        // see above
      }
    });
  }

  setActive(active: boolean): void {
    if (this.#closed) return;
    if (active) this.#raw.ref();
    else this.#raw.unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#raw.close();
  }
}
