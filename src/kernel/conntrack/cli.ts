/**
 * Conntrack backed by the conntrack(8) CLI (conntrack-tools).
 *
 * Exit statuses of `conntrack -D` (conntrack-tools 1.4.7, checked in the sandbox):
 *   0  at least one flow deleted; each deleted flow is printed on stdout, one line per flow;
 *   1  nothing matched (main() returns EXIT_FAILURE when the counter is 0 for any non-list
 *      command) -- but 1 is ALSO exit_error(OTHER_PROBLEM) for "Can't open handler" and
 *      "Operation failed" (e.g. EPERM without CAP_NET_ADMIN);
 *   2  PARAMETER_PROBLEM (bad address, family mismatch).
 * Upstream kube-proxy told "nothing matched" apart by matching the stderr text "0 flow entries";
 * we never match text. We count stdout lines, and when -D exits 1 with nothing printed we run the
 * same filter with -L, which exits 0 even when it shows 0 flows (the counter rule spares list
 * commands): 0 means the -D really matched nothing, a failure means conntrack itself failed.
 */
import type { CommandRunner, RunResult } from '../exec/exec.ts';
import { describeFilter, parseUdpFlowFilter } from './filter.ts';
import type { Conntrack, UdpFlowFilter } from './types.ts';

const EXIT_NOTHING_MATCHED_OR_OTHER_PROBLEM = 1;
const TIMEOUT_MS = 30_000;

export class ConntrackCli implements Conntrack {
  readonly #runner: CommandRunner;
  readonly #command: string;

  constructor(runner: CommandRunner, command = 'conntrack') {
    this.#runner = runner;
    this.#command = command;
  }

  async deleteUdpFlows(filter: UdpFlowFilter): Promise<number> {
    const object = describeFilter(filter);
    const valid = parseUdpFlowFilter(filter, { operation: 'conntrack.deleteUdpFlows', object });
    const deleted = await this.#run('-D', valid, 'conntrack.deleteUdpFlows', object);
    const count = countFlowLines(deleted.stdout);
    if (deleted.exitCode === 0 || count > 0) return count;
    // Exit 1 with nothing deleted: "no match" or a conntrack failure; -L tells them apart.
    await this.#run('-L', valid, 'conntrack.deleteUdpFlows (confirm no match)', object);
    return 0;
  }

  #run(command: '-D' | '-L', filter: UdpFlowFilter, operation: string, object: string): Promise<RunResult> {
    return this.#runner.run(this.#command, [command, ...filterArgs(filter)], {
      operation,
      object,
      timeoutMs: TIMEOUT_MS,
      okExitCodes: command === '-D' ? [EXIT_NOTHING_MATCHED_OR_OTHER_PROBLEM] : [],
    });
  }
}

/** conntrack(8) arguments selecting UDP flows by their original tuple. */
export function filterArgs(filter: UdpFlowFilter): string[] {
  const args = ['-p', 'udp', '-f', filter.family === 4 ? 'ipv4' : 'ipv6', '--orig-dst', filter.destination];
  if (filter.destinationPort !== undefined) args.push('--orig-port-dst', String(filter.destinationPort));
  if (filter.source !== undefined) args.push('--orig-src', filter.source);
  return args;
}

/** Each flow conntrack prints is one non-empty stdout line (the summary goes to stderr). */
function countFlowLines(stdout: string): number {
  return stdout.split('\n').filter((line) => line.trim() !== '').length;
}
