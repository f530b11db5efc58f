/**
 * The one place that starts external tools. Arguments are always arrays and bulk input always goes
 * through stdin: nothing here builds a shell string, so no object name can inject a command.
 */
import { execa } from 'execa';
import { abortAfter, realClock, type Clock } from '../../clock.ts';
import { CommandError, Errno } from '../../errors.ts';

export interface RunOptions {
  /** Written to the tool's stdin (restore files). */
  readonly input?: string;
  /** What we were doing, for the error. */
  readonly operation: string;
  readonly object?: string;
  readonly timeoutMs?: number;
  /** Exit codes that are not failures (e.g. `ipset test` uses 1 for "not a member"). */
  readonly okExitCodes?: readonly number[];
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs tools. Injected into every tool-backed kernel implementation so tests can record calls. */
export interface CommandRunner {
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
}

const DEFAULT_TIMEOUT_MS = 120_000;

export class ExecaRunner implements CommandRunner {
  private readonly clock: Clock;

  /** The timeout runs on `clock` (execa's own would only ever run on real time). */
  constructor(clock: Clock = realClock) {
    this.clock = clock;
  }

  async run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const timeout = abortAfter(this.clock, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const result = await execa(command, args, {
      input: options.input ?? '',
      reject: false,
      cancelSignal: timeout.signal,
      stripFinalNewline: false,
      env: { LC_ALL: 'C' },
      maxBuffer: 1024 * 1024 * 1024,
    }).finally(() => timeout.cancel());
    const timedOut = timeout.signal.aborted;
    const exitCode = result.exitCode;
    const finished = !timedOut && !result.isTerminated && exitCode !== undefined;
    if (finished && (exitCode === 0 || (options.okExitCodes ?? []).includes(exitCode))) {
      return { stdout: result.stdout, stderr: result.stderr, exitCode };
    }
    throw new CommandError(
      {
        command,
        args,
        exitCode,
        stderr: result.stderr,
        errno: spawnErrno(result.cause),
        code: timedOut ? 'ETIMEDOUT' : undefined,
      },
      { operation: options.operation, object: options.object, cause: result.cause },
    );
  }
}

function spawnErrno(cause: unknown): number | undefined {
  if (cause && typeof cause === 'object' && 'code' in cause && cause.code === 'ENOENT') return Errno.ENOENT;
  return undefined;
}
