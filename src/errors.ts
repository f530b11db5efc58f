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
export function errnoName(errno: number): ErrnoName | `E${number}` {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/**
 * Every code ipvs-proxier gives an error: one per condition, so callers branch on `code` alone. A
 * KernelError's code is its errno's name (EEXIST, ESRCH, …), like Node's system errors.
 */
export type ErrorCode =
  | ErrnoName
  | `E${number}`
  // values refused before they reach the kernel, a restore file or the config
  | 'ERR_INVALID_VALUE' | 'ERR_CONFIG'
  // external tools
  | 'ERR_COMMAND_NOT_FOUND' | 'ERR_COMMAND_FAILED' | 'ERR_IPVSADM_OUTPUT'
  // netlink: a handle used after close(), the socket, the wire format
  | 'ERR_NETLINK_CLOSED' | 'ERR_NETLINK_OPEN' | 'ERR_NETLINK_SOCKET' | 'ERR_NETLINK_SEND' | 'ERR_NETLINK_NO_REPLY'
  | 'ERR_NETLINK_MALFORMED' | 'ERR_NETLINK_TRUNCATED' | 'ERR_NETLINK_ATTRIBUTE_TOO_LARGE' | 'ERR_NETLINK_INTERNAL'
  // iptables
  | 'ERR_IPTABLES_FAMILY' | 'ERR_IPTABLES_PARSE' | 'ERR_IPTABLES_STATE_REQUIRED' | 'ERR_IPTABLES_TRANSACTION'
  | 'ERR_IPTABLES_UNKNOWN_CHAIN'
  // the engine and the daemon
  | 'ERR_APPLY' | 'ERR_CLEANUP' | 'ERR_OWNED_OBJECT_IN_USE' | 'ERR_SYSCTL' | 'ERR_HTTP_LISTEN'
  | 'ERR_API_CONFIG' | 'ERR_API_RESPONSE'
  // the manifests directory: the directory itself, then one code per way a file or object is skipped
  | 'ERR_MANIFEST_DIRECTORY' | 'ERR_MANIFEST_UNREADABLE' | 'ERR_MANIFEST_NOT_A_FILE' | 'ERR_MANIFEST_TOO_LARGE'
  | 'ERR_MANIFEST_ENCODING' | 'ERR_MANIFEST_ALIASES' | 'ERR_MANIFEST_TIMEOUT' | 'ERR_MANIFEST_PARSER'
  | 'ERR_MANIFEST_KIND' | 'ERR_MANIFEST_DUPLICATE';

export interface ErrorContext {
  /** What was being done: `ipvs.addService`, `ipset restore`, `link.addAddress`, … */
  readonly operation: string;
  /** The object acted on, rendered for humans: `TCP 10.96.0.1:443`, `set KUBE-CLUSTER-IP`, … */
  readonly object?: string | undefined;
  readonly cause?: unknown;
}

/** Base class: everything ipvs-proxier throws on purpose is a ProxierError. */
export class ProxierError extends Error {
  readonly code: ErrorCode;
  readonly operation: string;
  readonly object: string | undefined;

  constructor(code: ErrorCode, message: string, context: ErrorContext) {
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
  /** Why the value is wrong, without field or value: `must be 1..65535`. */
  readonly reason: string;

  constructor(field: string, value: unknown, reason: string, context: ErrorContext) {
    const where = context.object === undefined ? '' : ` of ${context.object}`;
    super('ERR_INVALID_VALUE', `invalid ${field}${where}: ${JSON.stringify(value)} (${reason})`, context);
    this.field = field;
    this.value = value;
    this.reason = reason;
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
      code?: ErrorCode;
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

/**
 * The kernel says the object named does not exist: ENOENT (a set, a destination, a scheduler or
 * genl family), ESRCH (an IPVS virtual server), ENODEV (a link).
 */
export function isNotFound(err: unknown): boolean {
  return hasErrno(err, Errno.ENOENT) || hasErrno(err, Errno.ESRCH) || hasErrno(err, Errno.ENODEV);
}

/** The kernel says the object is already there (EEXIST). */
export function isExists(err: unknown): boolean {
  return hasErrno(err, Errno.EEXIST);
}
