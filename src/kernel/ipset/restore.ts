/**
 * The real ipset backend: one `ipset restore` process per transaction (upstream kube-proxy once ran
 * one `ipset add` per entry, PR 93445: 15 s syncs at 2.5k services), `ipset save` to read.
 *
 * Locating a failure: ipset reports the failing line as "Error in line N:" on stderr. We read that
 * number only to LOCATE the line; since we rendered the text and each operation is one line, line
 * N is operations[N - 1], which names the set and member. We never read the rest of the message to
 * decide what went wrong: the errno comes from verdict() applied to the state `ipset save` shows
 * after the failure (lines after N are never applied, so that is the state line N met). Finding
 * the line by state alone is not possible in general: adds with -exist of present members and
 * flush-then-refill leave no trace, so the located line plus a state check is the reliable pair.
 */
import { CommandError, KernelError, Errno } from '../../errors.ts';
import type { CommandRunner } from '../exec/exec.ts';
import { pendingRunStart, verdict, type Verdict } from './diagnose.ts';
import { IpsetRestoreError } from './errors.ts';
import { parseSave } from './save.ts';
import { parseSetName } from './spec.ts';
import type { IpsetTransaction } from './transaction.ts';
import type { Ipset, IpsetOperation, IpsetSetState } from './types.ts';

const COMMAND = 'ipset';
const LINE = /Error in line ([0-9]+):/;

export interface RestoreIpsetOptions {
  /** Per-process timeout; a 20k-entry restore takes seconds under emulation. */
  readonly timeoutMs?: number;
}

export class RestoreIpset implements Ipset {
  readonly #runner: CommandRunner;
  readonly #timeoutMs: number | undefined;

  constructor(runner: CommandRunner, options: RestoreIpsetOptions = {}) {
    this.#runner = runner;
    this.#timeoutMs = options.timeoutMs;
  }

  async apply(tx: IpsetTransaction): Promise<void> {
    const input = tx.render();
    if (tx.size === 0) return;
    try {
      await this.#runner.run(COMMAND, ['restore'], { input, operation: 'ipset restore', ...this.#timeout() });
    } catch (err) {
      // A tool that could not start, or timed out, has no line to blame.
      if (!(err instanceof CommandError) || err.exitCode === undefined) throw err;
      throw await this.#explain(err, tx.operations);
    }
  }

  async list(): Promise<IpsetSetState[]> {
    const { stdout } = await this.#runner.run(COMMAND, ['save'], { operation: 'ipset save', ...this.#timeout() });
    return parseSave(stdout);
  }

  async listNames(): Promise<string[]> {
    const { stdout } = await this.#runner.run(COMMAND, ['list', '-n'], { operation: 'ipset list -n' });
    return stdout.split('\n').filter((name) => name.length > 0).sort();
  }

  async listMembers(name: string): Promise<string[]> {
    const set = parseSetName(name, { operation: 'ipset save', object: 'set' });
    try {
      const { stdout } = await this.#runner.run(COMMAND, ['save', set], { operation: 'ipset save', object: `set ${set}`, ...this.#timeout() });
      return [...(parseSave(stdout)[0]?.members ?? [])];
    } catch (err) {
      // Classify by state, not by stderr: a set missing from the name list does not exist.
      if (err instanceof CommandError && !(await this.listNames()).includes(set)) {
        throw new KernelError(Errno.ENOENT, { operation: 'ipset save', object: `set ${set}`, cause: err });
      }
      throw err;
    }
  }

  async #explain(err: CommandError, ops: readonly IpsetOperation[]): Promise<IpsetRestoreError> {
    const match = LINE.exec(err.stderr);
    const line = match?.[1] === undefined ? undefined : Number(match[1]);
    const failed = line === undefined ? undefined : ops[line - 1];
    const found = failed === undefined ? undefined : await this.#verdictAfter(failed);
    const index = line === undefined ? 0 : line - 1;
    // Without a verdict we cannot tell tool from kernel: report the safe lower bound.
    const appliedCount = failed === undefined ? 0 : found?.stage === 'kernel' ? index : pendingRunStart(ops, index);
    return new IpsetRestoreError({
      stderr: err.stderr,
      exitCode: err.exitCode,
      line: failed === undefined ? undefined : line,
      failed,
      appliedCount,
      errno: found?.errno,
      reason: found?.reason,
      cause: err,
    });
  }

  async #verdictAfter(op: IpsetOperation): Promise<Verdict | undefined> {
    let sets: Map<string, IpsetSetState>;
    try {
      sets = new Map((await this.list()).map((set) => [set.name, set]));
    } catch {
      return undefined;
    }
    // A destroy of an existing set fails only when it is referenced (ip_set_destroy: -IPSET_ERR_BUSY).
    return verdict(op, (name) => sets.get(name), () => true);
  }

  #timeout(): { timeoutMs?: number } {
    return this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs };
  }
}
