/**
 * The IPVS backend over generic netlink (family "IPVS", version 1): what ipvsadm and kube-proxy's
 * libipvs speak, without a process per change.
 *
 * - apply(): every operation is validated first (an invalid value rejects the call with its
 *   ValidationError and nothing is sent), then all go through one NetlinkSocket.batchFrom (many
 *   messages per sendmsg, bounded replies in flight, each message encoded only when its datagram
 *   is built). The kernel applies IPVS writes one by one, so each operation has its own outcome.
 * - dump(): ONE service dump, then the destination dumps pipelined over a small pool of sockets
 *   (the kernel runs one dump per socket at a time) instead of a GET per service (kubernetes PR 95881).
 * - A socket that failed (reply timeout, lost replies) is replaced on the next call.
 */
import type { Clock } from '../../clock.ts';
import { Errno, KernelError, ProxierError, hasErrno } from '../../errors.ts';
import { AttributeWriter } from '../netlink/attributes.ts';
import { NETLINK_GENERIC } from '../netlink/constants.ts';
import { decodeGenlAttributes, encodeGenl, resolveFamily } from '../netlink/genl.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import { parseUint32 } from '../../validate/validate.ts';
import { normalizeServiceKey } from './validate.ts';
import {
  IPVS_GENL_NAME, IPVS_GENL_VERSION, IpvsCmd, IpvsCmdAttr, decodeDestination, decodeService, encodeOperation,
  encodeServiceKeyAttributes, operationContext,
} from './netlink-codec.ts';
import {
  describeVirtualServer,
  type Ipvs, type IpvsApplyResult, type IpvsOperation, type IpvsOperationFailure, type IpvsTimeouts, type RealServerStatus,
  type VirtualServerDump, type VirtualServerKey, type VirtualServerStatus,
} from './types.ts';

export interface NetlinkIpvsOptions {
  /** Reply timeout per request/datagram (default 30 s). */
  readonly timeoutMs?: number;
  /** Runs the reply timeouts (default: real time). */
  readonly clock?: Clock;
  /** SO_RCVBUF to ask for (default 4 MiB, capped by net.core.rmem_max). */
  readonly receiveBufferBytes?: number;
  /** Sockets used for destination dumps in parallel (default 4). */
  readonly dumpConcurrency?: number;
}

export async function openNetlinkIpvs(options: NetlinkIpvsOptions = {}): Promise<Ipvs> {
  const socket = NetlinkSocket.open(NETLINK_GENERIC, options);
  try {
    const family = await resolveFamily(socket, IPVS_GENL_NAME);
    return new NetlinkIpvs(family.id, socket, options);
  } catch (error) {
    socket.close();
    // No generic netlink family "IPVS": the ip_vs module is not loaded (or not built).
    if (hasErrno(error, Errno.ENOENT)) {
      throw new KernelError(Errno.ENOENT, { operation: 'ipvs.open', object: 'generic netlink family IPVS', cause: error }, 'IPVS is not available in this kernel; load it with `modprobe ip_vs`');
    }
    throw error;
  }
}

class NetlinkIpvs implements Ipvs {
  readonly #familyId: number;
  readonly #options: NetlinkIpvsOptions;
  /** [0] carries writes and requests; all of them carry dumps. Opened lazily, replaced when failed. */
  readonly #sockets: (NetlinkSocket | undefined)[];
  #closed = false;

  constructor(familyId: number, socket: NetlinkSocket, options: NetlinkIpvsOptions) {
    this.#familyId = familyId;
    this.#options = options;
    const concurrency = Math.max(1, Math.floor(options.dumpConcurrency ?? 4));
    this.#sockets = Array.from({ length: concurrency }, (_, i) => (i === 0 ? socket : undefined));
  }

  #socket(index: number): NetlinkSocket {
    if (this.#closed) throw new ProxierError('ERR_NETLINK_CLOSED', 'IPVS netlink backend is closed', { operation: 'ipvs' });
    let socket = this.#sockets[index];
    if (socket === undefined || socket.closed) {
      socket = NetlinkSocket.open(NETLINK_GENERIC, this.#options);
      this.#sockets[index] = socket;
    }
    return socket;
  }

  #payload(cmd: number, attributes?: Uint8Array): Buffer {
    return encodeGenl(cmd, IPVS_GENL_VERSION, attributes);
  }

  async apply(operations: readonly IpvsOperation[]): Promise<IpvsApplyResult> {
    // Validate everything first: an invalid value rejects the whole call with its ValidationError
    // before a single message is sent (the shared Ipvs contract). Encoding happens again per
    // datagram as the socket sends it, so a cold sync's 110k messages are never all in memory.
    for (const operation of operations) encodeOperation(operation);
    const outcomes = await this.#socket(0).batchFrom({
      length: operations.length,
      message: (index) => {
        const encoded = encodeOperation(operationAt(operations, index));
        return { type: this.#familyId, payload: this.#payload(encoded.cmd, encoded.attributes) };
      },
      context: (index) => operationContext(operationAt(operations, index)),
    });
    const failures: IpvsOperationFailure[] = [];
    outcomes.forEach((error, index) => {
      if (error !== undefined) failures.push({ index, operation: operations[index], error });
    });
    return { attempted: operations.length, failures };
  }

  async listServices(): Promise<VirtualServerStatus[]> {
    return this.#listServices(0);
  }

  async #listServices(socketIndex: number): Promise<VirtualServerStatus[]> {
    const context = { operation: 'ipvs.listServices' };
    const replies = await this.#socket(socketIndex).dump({ type: this.#familyId, payload: this.#payload(IpvsCmd.GET_SERVICE) }, context);
    return replies.flatMap((reply) => {
      const svc = decodeGenlAttributes(reply).nested(IpvsCmdAttr.SERVICE);
      return svc === undefined ? [] : [decodeService(svc)];
    });
  }

  /** Destinations of one service. The kernel answers an empty dump when the service does not exist. */
  async listDestinations(service: VirtualServerKey): Promise<RealServerStatus[]> {
    return this.#listDestinations(service, 0);
  }

  async #listDestinations(service: VirtualServerKey, socketIndex: number): Promise<RealServerStatus[]> {
    const context = { operation: 'ipvs.listDestinations', object: describeVirtualServer(service) };
    const key = normalizeServiceKey(service, context.operation);
    const payload = this.#payload(IpvsCmd.GET_DEST, encodeServiceKeyAttributes(key));
    const replies = await this.#socket(socketIndex).dump({ type: this.#familyId, payload }, context);
    return replies.flatMap((reply) => {
      const dest = decodeGenlAttributes(reply).nested(IpvsCmdAttr.DEST);
      return dest === undefined ? [] : [decodeDestination(dest, key.family)];
    });
  }

  async dump(): Promise<VirtualServerDump[]> {
    const services = await this.#listServices(0);
    const result: VirtualServerDump[] = new Array<VirtualServerDump>(services.length);
    let next = 0;
    const worker = async (socketIndex: number): Promise<void> => {
      for (let i = next++; i < services.length; i = next++) {
        const service = services[i];
        if (service === undefined) continue;
        result[i] = { service, destinations: await this.#listDestinations(service.key, socketIndex) };
      }
    };
    const workers = Math.min(this.#sockets.length, services.length);
    await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
    return result;
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const context = { operation: 'ipvs.getTimeouts' };
    const replies = await this.#socket(0).request({ type: this.#familyId, payload: this.#payload(IpvsCmd.GET_CONFIG) }, context);
    const reply = replies[0];
    if (reply === undefined) throw new ProxierError('ERR_NETLINK_MALFORMED', 'no IPVS_CMD_GET_CONFIG reply', context);
    const attrs = decodeGenlAttributes(reply);
    return {
      tcp: attrs.u32(IpvsCmdAttr.TIMEOUT_TCP) ?? 0,
      tcpFin: attrs.u32(IpvsCmdAttr.TIMEOUT_TCP_FIN) ?? 0,
      udp: attrs.u32(IpvsCmdAttr.TIMEOUT_UDP) ?? 0,
    };
  }

  /** 0 leaves the kernel's value (ip_vs_set_timeout only applies non-zero timeouts). */
  async setTimeouts(timeouts: IpvsTimeouts): Promise<void> {
    const context = { operation: 'ipvs.setTimeouts' };
    const attrs = new AttributeWriter()
      .u32(IpvsCmdAttr.TIMEOUT_TCP, parseUint32(timeouts.tcp, context, 'tcp'))
      .u32(IpvsCmdAttr.TIMEOUT_TCP_FIN, parseUint32(timeouts.tcpFin, context, 'tcpFin'))
      .u32(IpvsCmdAttr.TIMEOUT_UDP, parseUint32(timeouts.udp, context, 'udp'))
      .toBuffer();
    await this.#socket(0).request({ type: this.#familyId, payload: this.#payload(IpvsCmd.SET_CONFIG, attrs) }, context);
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#sockets) socket?.close();
    return Promise.resolve();
  }
}

function operationAt(operations: readonly IpvsOperation[], index: number): IpvsOperation {
  const operation = operations[index];
  if (operation === undefined) throw new RangeError(`no IPVS operation ${index}`);
  return operation;
}
