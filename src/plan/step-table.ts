/**
 * A plan is applied, rendered, recorded and counted through one table of steps, one row per kind
 * of kernel write, in apply order. A new kind of write is one row: nothing else in the engine,
 * the mirror or the observability layer has to learn about it (issue 8).
 */
import { ProxierError } from '../errors.ts';
import type { IpvsOperation } from '../kernel/ipvs/types.ts';
import type { Kernel } from '../kernel/kernel.ts';

/** Names failures carry: every row's, plus the engine's own `observe` and `sysctl`. */
export type PlanStep = 'observe' | 'sysctl' | 'link' | 'bind' | 'ipset' | 'iptables' | 'ipvs' | 'unbind' | 'destroySets';

export interface PlanFailure {
  readonly step: PlanStep;
  readonly error: ProxierError;
  /**
   * Upstream's syncProxyRules returns before Updated() on such a failure (reading the kernel, the
   * dummy link, ipset, iptables-restore), so /healthz does not count the sync. A refused IPVS
   * operation or address is logged and the sync still counts: one bad object must not fail
   * liveness and restart-loop the daemon.
   */
  readonly abortsSync: boolean;
  /** The failing IPVS operation, when the backend could tell. */
  readonly operation?: IpvsOperation | undefined;
}

export interface ApplyReport {
  /** Kernel writes issued: netlink messages plus restore-tool runs. */
  readonly writes: number;
  readonly failures: readonly PlanFailure[];
}

/** A failure a row reports itself (one per refused object); `abortsSync` comes from the row. */
export type StepFailure = Omit<PlanFailure, 'abortsSync' | 'step'>;

export interface StepRow<P, M> {
  readonly step: PlanStep;
  readonly abortsSync: boolean;
  /** Kernel writes this row issues for the plan; 0: nothing to do, the row is skipped. */
  writes(plan: P): number;
  /** One line per write, for logs, --dry-run and golden tests. */
  render(plan: P): readonly string[];
  apply(plan: P, kernel: Kernel): Promise<readonly StepFailure[] | void>;
  /** The row's effect on the mode's mirror of the kernel, once applied. */
  record(mirror: M, plan: P): void;
}

export type StepTable<P, M> = readonly StepRow<P, M>[];

/**
 * Runs every row in order. A failing row does not stop the later ones (each is independent in the
 * kernel, and skipping IPVS writes because an address bind failed would only widen the damage);
 * every failure is reported, and the engine answers any failure with a full sync.
 */
export async function applySteps<P, M>(table: StepTable<P, M>, plan: P, kernel: Kernel): Promise<ApplyReport> {
  const failures: PlanFailure[] = [];
  let writes = 0;
  for (const row of table) {
    const count = row.writes(plan);
    if (count === 0) continue;
    writes += count;
    try {
      for (const f of (await row.apply(plan, kernel)) ?? []) failures.push({ ...f, step: row.step, abortsSync: row.abortsSync });
    } catch (error) {
      failures.push({ step: row.step, abortsSync: row.abortsSync, error: asProxierError(error, row.step) });
    }
  }
  return { writes, failures };
}

export function renderSteps<P, M>(table: StepTable<P, M>, plan: P): string {
  const lines = table.flatMap((row) => (row.writes(plan) === 0 ? [] : row.render(plan)));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function isEmptyPlan<P, M>(table: StepTable<P, M>, plan: P): boolean {
  return table.every((row) => row.writes(plan) === 0);
}

export function recordSteps<P, M>(table: StepTable<P, M>, mirror: M, plan: P): void {
  for (const row of table) if (row.writes(plan) > 0) row.record(mirror, plan);
}

export function asProxierError(error: unknown, step: PlanStep): ProxierError {
  if (error instanceof ProxierError) return error;
  return new ProxierError('ERR_APPLY', `plan step ${step} failed: ${String(error)}`, { operation: `apply ${step}`, cause: error });
}
