/**
 * Typed errors. Callers classify failures by `code` and `errno`, never by message text.
 *
 * Modelled on execa/undici/got: every error carries a stable machine-readable code, the operation
 * that failed, the object it was acting on, and the underlying cause.
 */

/** errno names we react to. Values are Linux's (asm-generic/errno-base.h, errno.h). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EROFS: 30,
  ERANGE: 34,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EADDRNOTAVAIL: 99,
  ENOBUFS: 105,
  ETIMEDOUT: 110,
} as const;
export type ErrnoName = keyof typeof Errno;

const errnoNames = new Map<number, ErrnoName>(
  Object.entries(Errno).map(([name, value]) => [value, name as ErrnoName]),
);

/** The symbolic name of a positive errno value, or `E<number>` when we have no name for it. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export interface ErrorContext {
  /** What was being done: `ipvs.addService`, `ipset restore`, `link.addAddress`, … */
  readonly operation: string;
  /** The object acted on, rendered for humans: `TCP 10.96.0.1:443`, `set KUBE-CLUSTER-IP`, … */
  readonly object?: string | undefined;
  readonly cause?: unknown;
}

/** Base class: everything ipvs-proxier throws on purpose is a ProxierError. */
export class ProxierError extends Error {
  readonly code: string;
  readonly operation: string;
  readonly object: string | undefined;

  constructor(code: string, message: string, context: ErrorContext) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = code;
    this.operation = context.operation;
    this.object = context.object;
  }
}

/** A value failed validation before it could reach the kernel or a restore file. */
export class ValidationError extends ProxierError {
  /** The field that is wrong, e.g. `address`, `port`, `scheduler`. */
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, reason: string, context: ErrorContext) {
    const where = context.object === undefined ? '' : ` of ${context.object}`;
    super('ERR_INVALID_VALUE', `invalid ${field}${where}: ${JSON.stringify(value)} (${reason})`, context);
    this.field = field;
    this.value = value;
  }
}

/** The kernel refused a request: a netlink error reply, or a failed syscall. */
export class KernelError extends ProxierError {
  /** Positive errno, e.g. 17 for EEXIST. */
  readonly errno: number;

  constructor(errno: number, context: ErrorContext, detail?: string) {
    const where = context.object === undefined ? '' : ` ${context.object}`;
    const extra = detail === undefined ? '' : `: ${detail}`;
    super(errnoName(errno), `${context.operation}${where} failed with ${errnoName(errno)}${extra}`, context);
    this.errno = errno;
  }
}

/** An external tool (ipset, iptables-restore, ipvsadm, conntrack) exited non-zero or could not start. */
export class CommandError extends ProxierError {
  readonly command: string;
  readonly args: readonly string[];
  /** Exit code, or undefined when the process could not be started or was killed. */
  readonly exitCode: number | undefined;
  readonly stderr: string;
  /** The errno of a spawn failure (ENOENT: tool not installed), when there was one. */
  readonly errno: number | undefined;

  constructor(
    details: {
      command: string;
      args: readonly string[];
      exitCode: number | undefined;
      stderr: string;
      errno?: number | undefined;
      code?: string;
    },
    context: ErrorContext,
  ) {
    const code = details.code ?? (details.errno === Errno.ENOENT ? 'ERR_COMMAND_NOT_FOUND' : 'ERR_COMMAND_FAILED');
    const where = context.object === undefined ? '' : ` (${context.object})`;
    const status = details.exitCode === undefined ? 'could not run' : `exited ${details.exitCode}`;
    const tail = details.stderr.trim().split('\n').slice(-3).join(' | ');
    super(code, `${context.operation}${where}: ${details.command} ${status}${tail ? `: ${tail}` : ''}`, context);
    this.command = details.command;
    this.args = details.args;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.errno = details.errno;
  }
}

/** A request to the kernel did not complete in time (a netlink reply never came). */
export class TimeoutError extends ProxierError {
  constructor(context: ErrorContext, ms: number) {
    super('ETIMEDOUT', `${context.operation}${context.object ? ` ${context.object}` : ''} timed out after ${ms} ms`, context);
  }
}

/** Narrowing helper that does not depend on message text. */
export function hasErrno(err: unknown, errno: number): boolean {
  return (err instanceof KernelError || err instanceof CommandError) && err.errno === errno;
}
