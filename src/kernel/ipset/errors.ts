/**
 * The error of a failed `ipset restore`, and what stays applied.
 *
 * Measured (ipset 7.17, Linux 6.1): ipset restore runs lines in order and stops at the first
 * failing line N; lines after N are never applied. When the KERNEL refuses line N (EEXIST, ENOENT,
 * EBUSY, hash full, range, swap mismatch), every line before N stays applied, including the
 * entries of N's own add run before it (the kernel walks an aggregated message in order and stops
 * at the failing entry). When the TOOL refuses line N (add/del on a set that does not exist, an
 * element it cannot parse for the set's real type/family), the add/del run it had buffered just
 * before N is discarded, except for whole ~4 KiB netlink messages of it already sent.
 */
import { CommandError, errnoName } from '../../errors.ts';
import type { IpsetOperation } from './types.ts';

export class IpsetRestoreError extends CommandError {
  /** 1-based line of the rendered restore text that failed, when known. */
  readonly line: number | undefined;
  /** Index into the transaction's operations of the failing line (line - 1). */
  readonly failedIndex: number | undefined;
  readonly failed: IpsetOperation | undefined;
  /**
   * Operations [0, appliedCount) are applied for certain; [appliedCount, failedIndex) may or may not
   * be (a prefix of them is): non-empty only when the tool refused the line.
   */
  readonly appliedCount: number;
  /** What the kernel (or tool) objected to, for humans; derived from state, not from stderr. */
  readonly reason: string | undefined;

  constructor(details: {
    stderr: string;
    exitCode: number | undefined;
    line: number | undefined;
    failed: IpsetOperation | undefined;
    appliedCount: number;
    errno: number | undefined;
    reason: string | undefined;
    cause?: unknown;
  }) {
    super(
      {
        command: 'ipset',
        args: ['restore'],
        exitCode: details.exitCode,
        stderr: details.stderr,
        // Here errno is the kernel's (or tool's) objection to the line, derived by verdict() from
        // the state after the failure, so hasErrno(err, Errno.EBUSY) works like for KernelError.
        errno: details.errno,
        code: details.errno === undefined ? 'ERR_COMMAND_FAILED' : errnoName(details.errno),
      },
      {
        operation: details.failed === undefined ? 'ipset restore' : `ipset restore: ${details.failed.op}`,
        object: details.failed === undefined ? undefined : describeOperation(details.failed),
        cause: details.cause,
      },
    );
    this.line = details.line;
    this.failedIndex = details.line === undefined ? undefined : details.line - 1;
    this.failed = details.failed;
    this.appliedCount = details.appliedCount;
    this.reason = details.reason;
  }
}

/** `set X member M`, `set X`, `sets A and B`: the object of the error. */
export function describeOperation(op: IpsetOperation): string {
  switch (op.op) {
    case 'create':
      return `set ${op.spec.name}`;
    case 'add':
    case 'del':
      return `set ${op.set} member ${op.member}`;
    case 'flush':
    case 'destroy':
      return `set ${op.set}`;
    case 'swap':
      return `sets ${op.set} and ${op.other}`;
  }
}
