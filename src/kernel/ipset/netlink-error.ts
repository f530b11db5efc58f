/**
 * The error of a member transaction applied over netlink, and what stays applied.
 *
 * Unlike `ipset restore` (errors.ts: stops at the first failing line), every add/del is its own
 * netlink message and the kernel handles each one on its own: a failed message neither undoes the
 * earlier ones nor stops the later ones. So the outcome is exact: the operations listed in
 * `failures` were not applied, every other operation of the transaction was.
 */
import { KernelError } from '../../errors.ts';
import { describeOperation } from './errors.ts';
import type { IpsetOperation } from './types.ts';

export interface IpsetMemberFailure {
  /** Index into the transaction's operations. */
  readonly index: number;
  readonly operation: IpsetOperation;
  /** errno in restore's terms (EEXIST, ENOENT, EINVAL, ENOSPC, ERANGE), object naming set and member. */
  readonly error: KernelError;
  readonly reason: string;
}

export class IpsetNetlinkError extends KernelError {
  /** In operation order; never empty. */
  readonly failures: readonly IpsetMemberFailure[];
  /** The first failure's operation and index, as IpsetRestoreError names its failing line. */
  readonly failed: IpsetOperation;
  readonly failedIndex: number;
  readonly reason: string;

  constructor(first: IpsetMemberFailure, failures: readonly IpsetMemberFailure[], attempted: number) {
    super(
      first.error.errno,
      { operation: `ipset netlink: ${first.operation.op}`, object: describeOperation(first.operation), cause: first.error },
      `${first.reason}; ${failures.length} of ${attempted} operations failed, the others are applied`,
    );
    this.failures = failures;
    this.failed = first.operation;
    this.failedIndex = first.index;
    this.reason = first.reason;
  }
}
