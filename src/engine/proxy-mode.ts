/**
 * What a proxy mode supplies to the mode-independent engine (proxier.ts). The engine owns change
 * tracking, the full-versus-partial decision, the per-family loop, the one shared kernel read of a
 * full sync, failure forcing a full sync, and the sync report. A mode owns everything that knows
 * what its kernel objects are: the pure desired state, reading the kernel, the diff, and its
 * table of plan steps (apply, render, mirror, accounting).
 *
 * IPVS is the one mode today (ipvs-mode.ts); an iptables mode and `diagnose` use the same shape.
 */
import type { FamilyConfig } from '../desired/config.ts';
import type { ConflictChanges } from '../desired/conflicts.ts';
import type { RefusalChange } from '../desired/index.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { ServiceEndpoints } from '../desired/contribution.ts';
import type { Service, ServiceName } from '../model/types.ts';
import type { ApplyReport } from '../plan/step-table.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface ModePlan {
  readonly family: IpFamily;
  /** Computed against a fresh read of the kernel (full) or the mode's mirror (partial). */
  readonly full: boolean;
}

/** One IP family of a mode: its desired state, what it believes the kernel holds, and its plans. */
export interface FamilyProxy<P extends ModePlan, Snapshot> {
  readonly family: IpFamily;
  readonly config: FamilyConfig;
  /** Replaces the family's settings (node state changed); the engine then recomputes every service. */
  reconfigure(config: FamilyConfig): void;
  /** Pure: what one service (undefined: deleted) contributes to the desired state. */
  contribute(name: ServiceName, service: Service | undefined, endpoints: ServiceEndpoints): void;
  /** Services claiming the same kernel object, since the last call (the engine logs them). */
  takeConflictChanges(): ConflictChanges;
  /** Services whose refused externalIPs changed, since the last call (the engine logs them). */
  takeRefusalChanges(): readonly RefusalChange[];
  /** Observe (full: the snapshot plus per-family reads; partial: the mirror) and diff. */
  plan(full: boolean, snapshot: () => Promise<Snapshot>): Promise<P>;
  /** The plan was applied (perhaps partly: any failure makes the next sync full anyway). */
  applied(plan: P, snapshot: Snapshot | undefined): void;
}

export interface ProxyMode<P extends ModePlan, Snapshot> {
  readonly name: 'ipvs';
  /** The kernel state every family of a full sync shares, read once per sync. */
  readSnapshot(kernel: Kernel): Promise<Snapshot>;
  family(config: FamilyConfig, kernel: Kernel): FamilyProxy<P, Snapshot>;
  isEmpty(plan: P): boolean;
  apply(plan: P, kernel: Kernel): Promise<ApplyReport>;
  /** One line per write, in apply order; '' for an empty plan. */
  render(plan: P): string;
}
