/**
 * Member add/del over ipset's netlink interface (NETLINK_NETFILTER, subsystem IPSET): what
 * `ipset add`/`ipset del` send, without a process. One IPSET_CMD_HEADER per distinct set first (the
 * element encoding depends on the set's REAL type and family, which is also what the ipset tool
 * checks a member against), then every operation as its own message in one NetlinkSocket.batch.
 *
 * Atomicity: none across messages. The kernel applies each message on its own (under the nfnl
 * mutex), so packets may see the set between two of them, exactly as with ipset restore, and a
 * failed message affects only itself (netlink-error.ts). Errors are those of ipset restore
 * (diagnose.ts): a missing set is ENOENT, a member the set's real type or family cannot hold is
 * EINVAL (not sent), present-on-add EEXIST and absent-on-del ENOENT (without -exist only), a full
 * hash ENOSPC, a port outside a bitmap's range ERANGE.
 */
import { Errno, KernelError, ProxierError, ValidationError } from '../../errors.ts';
import { NetlinkSocket, type NetlinkBatchMessage, type NetlinkSocketOptions } from '../netlink/socket.ts';
import { describeOperation } from './errors.ts';
import { parseMemberText, validateEntry } from './members.ts';
import {
  IpsetCmd, NETLINK_NETFILTER, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC, decodeHeaderReply, encodeHeaderRequest, encodeMember,
  ipsetErrno, messageType, type IpsetMemberCmd, type SetHeader,
} from './netlink-codec.ts';
import { IpsetNetlinkError, type IpsetMemberFailure } from './netlink-error.ts';
import { SET_TYPES, type IpsetOperation, type SetType } from './types.ts';
import type { IpFamily } from '../../validate/validate.ts';

export type MemberOperation = IpsetOperation & { readonly op: 'add' | 'del' };

/** A set as the member encoder needs it: its real type and family. */
interface Target {
  readonly type: SetType;
  readonly family: IpFamily;
}

type Prepared = { readonly message: NetlinkBatchMessage; readonly cmd: IpsetMemberCmd; readonly type: string } | IpsetMemberFailure;

export class NetlinkIpsetMembers {
  readonly #open: () => NetlinkSocket;
  #socket: NetlinkSocket | undefined;
  #closed = false;

  /** `open` makes a socket; the default opens NETLINK_NETFILTER. Tests inject a fake transport. */
  constructor(open?: () => NetlinkSocket, options: NetlinkSocketOptions = {}) {
    this.#open = open ?? (() => NetlinkSocket.open(NETLINK_NETFILTER, options));
  }

  /**
   * Applies add/del operations (indexes are those of `operations`). Rejects with IpsetNetlinkError
   * listing every failed operation, or with the socket's error when the exchange itself failed
   * (then any prefix of the operations may be applied).
   */
  async apply(operations: readonly MemberOperation[]): Promise<void> {
    if (operations.length === 0) return;
    const socket = this.#connect();
    const headers = await this.#headers(socket, operations);
    const prepared = operations.map((op, index) => prepare(op, index, headers.get(op.set)));
    const sendable = prepared.filter((p): p is Exclude<Prepared, IpsetMemberFailure> => 'message' in p);
    const outcomes = sendable.length === 0 ? [] : await socket.batch(sendable.map((p) => p.message));
    const failures: IpsetMemberFailure[] = [];
    let sent = 0;
    prepared.forEach((p, index) => {
      const op = operations[index];
      if (op === undefined) return;
      if (!('message' in p)) {
        failures.push(p);
        return;
      }
      const outcome = outcomes[sent++];
      if (outcome !== undefined) failures.push(kernelFailure(op, index, p, outcome));
    });
    const first = failures[0];
    if (first !== undefined) throw new IpsetNetlinkError(first, failures, operations.length);
  }

  close(): void {
    this.#closed = true;
    this.#socket?.close();
  }

  #connect(): NetlinkSocket {
    if (this.#closed) throw new ProxierError('ERR_NETLINK_CLOSED', 'ipset netlink backend is closed', { operation: 'ipset netlink' });
    if (this.#socket === undefined || this.#socket.closed) this.#socket = this.#open();
    return this.#socket;
  }

  /** Header of each distinct set; a set the kernel does not know maps to undefined. */
  async #headers(socket: NetlinkSocket, operations: readonly MemberOperation[]): Promise<Map<string, SetHeader | undefined>> {
    const names = [...new Set(operations.map((op) => op.set))];
    const headers = await Promise.all(names.map(async (name) => {
      const context = { operation: 'ipset netlink: header', object: `set ${name}` };
      try {
        const replies = await socket.request({ type: messageType(IpsetCmd.HEADER), payload: encodeHeaderRequest(name) }, context);
        const reply = replies[0];
        return reply === undefined ? undefined : decodeHeaderReply(reply, context);
      } catch (error) {
        if (error instanceof KernelError && error.errno === Errno.ENOENT) return undefined;
        throw error;
      }
    }));
    return new Map(names.map((name, i) => [name, headers[i]]));
  }
}

function prepare(op: MemberOperation, index: number, header: SetHeader | undefined): Prepared {
  if (header === undefined) return toolFailure(op, index, Errno.ENOENT, `set ${op.set} does not exist`);
  const target = targetOf(header);
  const notMember = `${op.member} is not a ${header.type} member of set ${op.set}`;
  if (target === undefined) return toolFailure(op, index, Errno.EINVAL, notMember);
  const context = { operation: `ipset netlink: ${op.op}`, object: describeOperation(op) };
  try {
    const entry = validateEntry(parseMemberText(op.member, target.type, context), { name: op.set, ...target }, context);
    const cmd = op.op === 'add' ? IpsetCmd.ADD : IpsetCmd.DEL;
    const encoded = encodeMember(cmd, op.set, target.type, target.family, entry, op.exist);
    return { message: { ...encoded, context }, cmd, type: header.type };
  } catch (error) {
    // What the ipset tool refuses before sending: the member does not parse for the real set.
    if (error instanceof ValidationError) return toolFailure(op, index, Errno.EINVAL, notMember);
    throw error;
  }
}

function targetOf(header: SetHeader): Target | undefined {
  if (!(SET_TYPES as readonly string[]).includes(header.type)) return undefined;
  const type = header.type as SetType;
  if (header.family === NFPROTO_IPV4) return { type, family: 4 };
  if (header.family === NFPROTO_IPV6) return { type, family: 6 };
  // bitmap:port has no family; the encoder ignores it for ports.
  return header.family === NFPROTO_UNSPEC && type === 'bitmap:port' ? { type, family: 4 } : undefined;
}

function toolFailure(op: MemberOperation, index: number, errno: number, reason: string): IpsetMemberFailure {
  const error = new KernelError(errno, { operation: `ipset netlink: ${op.op}`, object: describeOperation(op) }, reason);
  return { index, operation: op, error, reason };
}

function kernelFailure(op: MemberOperation, index: number, sent: { cmd: IpsetMemberCmd; type: string }, outcome: KernelError): IpsetMemberFailure {
  const errno = ipsetErrno(outcome.errno, sent.cmd, sent.type);
  const reason = reasonFor(op, errno, outcome.errno);
  const error = new KernelError(errno, { operation: `ipset netlink: ${op.op}`, object: describeOperation(op), cause: outcome }, reason);
  return { index, operation: op, error, reason };
}

function reasonFor(op: MemberOperation, errno: number, code: number): string {
  switch (errno) {
    case Errno.EEXIST:
      return `${op.member} is already in set ${op.set}`;
    case Errno.ENOENT:
      return op.op === 'del' && code !== Errno.ENOENT ? `${op.member} is not in set ${op.set}` : `set ${op.set} does not exist`;
    case Errno.ENOSPC:
      return `set ${op.set} is full`;
    case Errno.ERANGE:
      return `${op.member} is outside the range of set ${op.set}`;
    default:
      return `the kernel refused ${op.op} of ${op.member} to set ${op.set} (ipset code ${code})`;
  }
}
