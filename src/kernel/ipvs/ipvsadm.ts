/**
 * IPVS through the ipvsadm tool (1.31): the fallback when generic netlink is unavailable.
 *
 * Writes: one `ipvsadm -R` per apply(). ipvsadm 1.31's restore_table() keeps going after a line the
 * kernel refuses (it prints strerror-like text on stderr, one line per refusal, and its exit status
 * is only the LAST line's: 255 or 0), so every other operation of the batch still applies, as with
 * netlink. A line ipvsadm itself rejects (exit 2) aborts the rest; validation keeps those out.
 *
 * ipvsadm reports no errno and we never classify its message text. To say which operations failed
 * and why, the restore input starts with `-S -n` (a snapshot taken by the same process right before
 * the first write) and the batch is replayed on FakeIpvs, our model of the kernel's checks. The
 * model's failures are reported only when their number matches the refusals ipvsadm printed and
 * the exit status agrees; otherwise each refusal is reported with index undefined.
 *
 * Reads batch several listings into one `ipvsadm -R` too (restore accepts -S and -L lines): one
 * process instead of five.
 */
import { CommandError, KernelError, ProxierError, ValidationError } from '../../errors.ts';
import type { CommandRunner, RunResult } from '../exec/exec.ts';
import { fakeFromState, LINUX_6_1_SCHEDULERS } from './fake.ts';
import {
  parseFourNumbers, parseListing, parsePlainDestination, parseSave, parseStatsColumns, parseTimeouts, splitOutput,
  type ListedService, type SavedService,
} from './ipvsadm-parse.ts';
import { renderRestore, renderServiceKey } from './ipvsadm-render.ts';
import { IPVSADM_MAX_TIMEOUT, checkIpvsadmLimits } from './ipvsadm-limits.ts';
import { normalizeOperation, normalizeServiceKey } from './validate.ts';
import {
  describeRealServer, describeVirtualServer,
  type Ipvs, type IpvsApplyResult, type IpvsOperation, type IpvsOperationFailure, type IpvsStats, type IpvsTimeouts,
  type RealServerStatus, type VirtualServerDump, type VirtualServerKey, type VirtualServerStatus,
} from './types.ts';

export interface IpvsadmOptions {
  /** The ipvsadm binary (default `ipvsadm` from PATH). */
  readonly command?: string;
  /**
   * Prefix each apply() with a `-S -n` snapshot to attribute failures to operations (default true).
   * Costs one table dump per apply; without it failures carry index undefined.
   */
  readonly attributeFailures?: boolean;
  /** Schedulers the kernel has, for the attribution model (default: Linux 6.1's, no twos). */
  readonly schedulers?: readonly string[];
}

const ZERO_STATS: IpvsStats = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
/** restore_table() returns the last line's result; process_options() returns -1 on a kernel error. */
const EXIT_LAST_LINE_FAILED = 255;
/** list_service() exits 1 when the listed service does not exist. */
const EXIT_NO_SUCH_SERVICE = 1;

const DUMP_COMMANDS = ['-S -n', '-L -n --exact', '-L -n --thresholds', '-L -n --persistent-conn', '-L -n --stats --exact'];

export class IpvsadmIpvs implements Ipvs {
  readonly #runner: CommandRunner;
  readonly #command: string;
  readonly #attribute: boolean;
  readonly #schedulers: readonly string[];

  constructor(runner: CommandRunner, options: IpvsadmOptions = {}) {
    this.#runner = runner;
    this.#command = options.command ?? 'ipvsadm';
    this.#attribute = options.attributeFailures ?? true;
    this.#schedulers = options.schedulers ?? LINUX_6_1_SCHEDULERS;
  }

  async apply(operations: readonly IpvsOperation[]): Promise<IpvsApplyResult> {
    const ops = operations.map(normalizeOperation);
    ops.forEach(checkIpvsadmLimits);
    if (ops.length === 0) return { attempted: 0, failures: [] };
    const input = (this.#attribute ? '-S -n\n' : '') + renderRestore(ops);
    const result = await this.#restore(input, 'ipvs.apply', [EXIT_LAST_LINE_FAILED]);
    const refusals = result.stderr.split('\n').filter((line) => line.trim() !== '');
    if (refusals.length === 0 && result.exitCode === 0) return { attempted: ops.length, failures: [] };
    return { attempted: ops.length, failures: this.#attributeFailures(ops, operations, result, refusals) };
  }

  async listServices(): Promise<VirtualServerStatus[]> {
    const out = splitOutput((await this.#restore('-S -n\n-L -n --stats --exact\n', 'ipvs.listServices')).stdout);
    const stats = parseListing(out.listings[0] ?? []);
    return parseSave(out.save).map(({ service }) => ({
      ...service, stats: serviceStats(stats.get(describeVirtualServer(service.key))),
    }));
  }

  async listDestinations(service: VirtualServerKey): Promise<RealServerStatus[]> {
    const key = normalizeServiceKey(service, 'ipvs.listDestinations');
    const target = renderServiceKey(key).join(' ');
    const input = DUMP_COMMANDS.slice(1).map((c) => `${c} ${target}\n`).join('');
    const result = await this.#restore(input, 'ipvs.listDestinations', [EXIT_NO_SUCH_SERVICE]);
    // The kernel's destination dump of a missing service is empty; ipvsadm exits 1 for it.
    if (result.exitCode === EXIT_NO_SUCH_SERVICE) return [];
    const [plain, thresholds, persistent, stats] = splitOutput(result.stdout).listings.map(parseListing);
    const id = describeVirtualServer(key);
    return destinations(plain?.get(id), thresholds?.get(id), persistent?.get(id), stats?.get(id));
  }

  async dump(): Promise<VirtualServerDump[]> {
    const result = await this.#restore(DUMP_COMMANDS.map((c) => `${c}\n`).join(''), 'ipvs.dump');
    const out = splitOutput(result.stdout);
    const [plain, thresholds, persistent, stats] = out.listings.map(parseListing);
    return parseSave(out.save).map(({ service }) => {
      const id = describeVirtualServer(service.key);
      return {
        service: { ...service, stats: serviceStats(stats?.get(id)) },
        destinations: destinations(plain?.get(id), thresholds?.get(id), persistent?.get(id), stats?.get(id)),
      };
    });
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const result = await this.#runner.run(this.#command, ['-L', '-n', '--timeout'], { operation: 'ipvs.getTimeouts' });
    return parseTimeouts(result.stdout);
  }

  async setTimeouts(timeouts: IpvsTimeouts): Promise<void> {
    const ctx = { operation: 'ipvs.setTimeouts' };
    const values = [['tcp', timeouts.tcp], ['tcpFin', timeouts.tcpFin], ['udp', timeouts.udp]] as const;
    for (const [field, value] of values) {
      if (!Number.isInteger(value) || value < 0 || value > IPVSADM_MAX_TIMEOUT) {
        throw new ValidationError(field, value, `ipvsadm --set takes 0..${IPVSADM_MAX_TIMEOUT} (0 keeps the current value)`, ctx);
      }
    }
    await this.#runner.run(this.#command, ['--set', ...values.map(([, v]) => String(v))], ctx);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #restore(input: string, operation: string, okExitCodes: readonly number[] = []): Promise<RunResult> {
    return this.#runner.run(this.#command, ['-R'], { input, operation, okExitCodes });
  }

  #attributeFailures(
    ops: readonly IpvsOperation[], operations: readonly IpvsOperation[], result: RunResult, refusals: readonly string[],
  ): IpvsOperationFailure[] {
    const commandError = (stderr: string): CommandError => new CommandError(
      { command: this.#command, args: ['-R'], exitCode: result.exitCode, stderr },
      { operation: 'ipvs.apply' },
    );
    const modelled = this.#attribute ? this.#replay(ops, result.stdout) : undefined;
    const lastFailed = modelled?.some((f) => f.index === ops.length - 1) ?? false;
    const agrees = modelled !== undefined && modelled.length === refusals.length
      && (result.exitCode === EXIT_LAST_LINE_FAILED) === lastFailed;
    if (!agrees) {
      const lines = refusals.length > 0 ? refusals : [result.stderr];
      return lines.map((line) => ({ index: undefined, operation: undefined, error: commandError(line) }));
    }
    return modelled.map((failure, i) => {
      const model = failure.error as KernelError;
      const error = new KernelError(model.errno, {
        operation: model.operation, object: model.object, cause: commandError(refusals[i] ?? ''),
      });
      return { index: failure.index, operation: failure.index === undefined ? undefined : operations[failure.index], error };
    });
  }

  /** The kernel's verdicts on `ops`, as predicted by the model from the `-S -n` snapshot. */
  #replay(ops: readonly IpvsOperation[], snapshot: string): IpvsOperationFailure[] | undefined {
    let state: SavedService[];
    try {
      state = parseSave(snapshot);
    } catch (error) {
      if (error instanceof ProxierError) return undefined;
      throw error;
    }
    return [...fakeFromState(state, { schedulers: this.#schedulers }).applySync(ops).failures];
  }
}

function serviceStats(listed: ListedService | undefined): IpvsStats {
  return listed === undefined ? ZERO_STATS : parseStatsColumns(listed.columns);
}

/**
 * Joins the four listings of one service by destination. The plain listing decides which
 * destinations exist; a row missing from a later listing (removed in between) reads as zero.
 */
function destinations(
  plain: ListedService | undefined, thresholds: ListedService | undefined,
  persistent: ListedService | undefined, stats: ListedService | undefined,
): RealServerStatus[] {
  if (plain === undefined) return [];
  return [...plain.destinations.values()].map(({ key, columns }) => {
    const id = describeRealServer(key);
    const base = parsePlainDestination(columns);
    const limits = thresholds?.destinations.get(id);
    const persist = persistent?.destinations.get(id);
    const counts = stats?.destinations.get(id);
    const [upperThreshold, lowerThreshold] = limits === undefined ? [0, 0] : parseFourNumbers(limits.columns);
    const persistentConnections = persist === undefined ? 0 : parseFourNumbers(persist.columns)[1];
    return {
      ...key, forward: base.forward, weight: base.weight, upperThreshold, lowerThreshold,
      activeConnections: base.activeConnections, inactiveConnections: base.inactiveConnections,
      persistentConnections, stats: counts === undefined ? ZERO_STATS : parseStatsColumns(counts.columns),
    };
  });
}
