/**
 * A CommandRunner that runs every tool inside a named network namespace (`ip netns exec NAME`).
 * Conntrack tables are per network namespace, so a tool run from the wrong namespace silently
 * sees (and deletes) nothing; tests and multi-netns setups use this wrapper to pick the table.
 * `ip netns exec` execs the tool, so its exit status passes through unchanged.
 */
import { ValidationError } from '../../errors.ts';
import type { CommandRunner, RunOptions, RunResult } from '../exec/exec.ts';

/** Names under /run/netns: one path component, not `.`/`..`, not option-like. */
const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export class NetnsRunner implements CommandRunner {
  readonly #inner: CommandRunner;
  readonly #netns: string;
  readonly #ip: string;

  constructor(inner: CommandRunner, netns: string, ip = 'ip') {
    if (!NETNS_NAME.test(netns)) {
      throw new ValidationError('netns', netns, 'must be 1..64 characters of A-Z a-z 0-9 _ . -, starting with A-Z a-z 0-9 _', {
        operation: 'netns runner',
      });
    }
    this.#inner = inner;
    this.#netns = netns;
    this.#ip = ip;
  }

  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    return this.#inner.run(this.#ip, ['netns', 'exec', this.#netns, command, ...args], options);
  }
}
