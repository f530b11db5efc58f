/** Brings node sysctls to their desired values; reads first and writes only what differs. */
import { ProxierError } from '../errors.ts';
import type { Sysctl } from '../kernel/sysctl/types.ts';
import type { DesiredSysctl } from '../desired/sysctls.ts';
import type { PlanFailure } from '../plan/step-table.ts';

export interface SysctlReport {
  readonly written: readonly DesiredSysctl[];
  readonly failures: readonly PlanFailure[];
}

export async function ensureSysctls(sysctl: Sysctl, desired: readonly DesiredSysctl[]): Promise<SysctlReport> {
  const written: DesiredSysctl[] = [];
  const failures: PlanFailure[] = [];
  for (const d of desired) {
    try {
      if ((await sysctl.get(d.name)).trim() === d.value) continue;
      await sysctl.set(d.name, d.value);
      written.push(d);
    } catch (error) {
      const err = error instanceof ProxierError ? error : new ProxierError('ERR_SYSCTL', String(error), { operation: 'sysctl', object: d.name, cause: error });
      // A node setting that cannot be written is logged; the sync still counts (kube-proxy only warns).
      failures.push({ step: 'sysctl', abortsSync: false, error: err });
    }
  }
  return { written, failures };
}
