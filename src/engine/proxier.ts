/**
 * The engine: services and EndpointSlices in, an incrementally programmed kernel out.
 *
 *   sources → ServiceCache (change trackers) → contributeService (pure, per dirty service)
 *     → DesiredStateIndex → buildPlan (against the mirror, or a fresh kernel read when full)
 *     → applyPlan (kernel layer) → Mirror
 *
 * A sync is partial unless asked to be full, nothing was synced yet, or the previous sync failed:
 * then the kernel is re-read and everything is repaired (kube-proxy's rule).
 */
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { EndpointSliceInfo, Service, ServiceName } from '../model/types.ts';
import { serviceName } from '../model/types.ts';
import type { FamilyConfig } from '../desired/config.ts';
import { contributeService } from '../desired/contribution.ts';
import { DesiredStateIndex } from '../desired/index.ts';
import { desiredSets, type DesiredSetSpec } from '../desired/ipsets.ts';
import { desiredIptables, type DesiredIptables } from '../desired/iptables-rules.ts';
import { buildPlan } from '../diff/build-plan.ts';
import { applyPlan, asProxierError, type PlanFailure } from '../plan/apply.ts';
import { isEmptyPlan, type Plan } from '../plan/plan.ts';
import { ServiceCache, sliceKey } from '../tracking/service-cache.ts';
import { Mirror } from './mirror.ts';
import { observeFamily, readKernelSnapshot, type KernelSnapshot } from './observe.ts';
import { ensureSysctls } from './sysctls.ts';
import type { DesiredSysctl } from '../desired/sysctls.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface SyncReport {
  readonly full: boolean;
  readonly plans: readonly Plan[];
  readonly writes: number;
  readonly failures: readonly PlanFailure[];
  /** Each family's share of `failures` (sysctl failures belong to no family); absent: none. */
  readonly familyFailures: ReadonlyMap<IpFamily, readonly PlanFailure[]>;
  /** Services recomputed in this sync. */
  readonly servicesChanged: number;
  readonly durationMs: number;
}

export interface ProxierOptions {
  readonly kernel: Kernel;
  /** One entry per IP family served (dual-stack: two). */
  readonly families: readonly FamilyConfig[];
  readonly logger: Logger;
  /** Node settings, checked on every full sync (desired/sysctls.ts). */
  readonly sysctls?: readonly DesiredSysctl[];
  /** Compute and report plans without touching the kernel (--dry-run). */
  readonly dryRun?: boolean;
  /** Measures each sync's duration. */
  readonly clock?: Clock;
}

interface FamilyState {
  config: FamilyConfig;
  readonly index: DesiredStateIndex;
  readonly sets: readonly DesiredSetSpec[];
  readonly iptables: DesiredIptables;
  mirror: Mirror | undefined;
}

export class Proxier {
  readonly cache = new ServiceCache();
  private readonly families: FamilyState[];
  private needsFull = true;
  private recomputeAll = false;
  private readonly options: ProxierOptions;

  constructor(options: ProxierOptions) {
    this.options = options;
    this.families = options.families.map((config) => ({
      config, index: new DesiredStateIndex(), sets: desiredSets(config.family), iptables: desiredIptables(config), mirror: undefined,
    }));
  }

  onServiceUpdate(previous: Service | undefined, current: Service | undefined): void {
    const s = current ?? previous;
    if (s !== undefined) this.cache.serviceChanges.update(serviceName(s.namespace, s.name), previous, current);
  }

  onEndpointSliceUpdate(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void {
    const s = current ?? previous;
    if (s !== undefined) this.cache.sliceChanges.update(sliceKey(s), previous, current);
  }

  /** The node's zone changed (topology hints): every service is recomputed on the next sync. */
  setNodeZone(zone: string | undefined): void {
    for (const family of this.families) {
      if (family.config.nodeZone === zone) continue;
      family.config = { ...family.config, nodeZone: zone };
      this.recomputeAll = true;
    }
  }

  /** Forces the next sync to re-read the kernel (periodic resync, or after an error). */
  requestFullSync(): void {
    this.needsFull = true;
  }

  get pendingChanges(): number {
    return this.cache.serviceChanges.size + this.cache.sliceChanges.size + (this.recomputeAll ? 1 : 0);
  }

  async sync(options: { full?: boolean } = {}): Promise<SyncReport> {
    const clock = this.options.clock ?? realClock;
    const started = clock.now();
    const full = options.full === true || this.needsFull;
    const dirty = this.cache.commit();
    if (this.recomputeAll) for (const name of this.cache.serviceNames()) dirty.add(name);
    this.recomputeAll = false;
    for (const family of this.families) this.recompute(family, dirty);
    const plans: Plan[] = [];
    const failures: PlanFailure[] = [];
    const familyFailures = new Map<IpFamily, readonly PlanFailure[]>();
    let writes = 0;
    try {
      if (full && this.options.dryRun !== true) {
        const sysctls = await ensureSysctls(this.options.kernel.sysctl, this.options.sysctls ?? []);
        for (const d of sysctls.written) this.options.logger.info({ sysctl: d.name, value: d.value, reason: d.reason }, 'node setting changed');
        writes += sysctls.written.length;
        failures.push(...sysctls.failures);
      }
      // A full sync reads the link, the IPVS table and the ipsets once for every family.
      let snapshot: Promise<KernelSnapshot> | undefined;
      const readSnapshot = (): Promise<KernelSnapshot> => (snapshot ??= readKernelSnapshot(this.options.kernel));
      for (const family of this.families) {
        const plan = await this.planOrFail(family, full, readSnapshot, familyFailures, failures);
        if (plan === undefined) continue;
        plans.push(plan);
        if (this.options.dryRun === true || isEmptyPlan(plan)) continue;
        const report = await applyPlan(plan, this.options.kernel);
        writes += report.writes;
        failures.push(...report.failures);
        if (report.failures.length > 0) familyFailures.set(family.config.family, report.failures);
        family.mirror?.record(plan);
        if (plan.createLink && snapshot !== undefined) (await snapshot).linkExists = true;
      }
    } catch (error) {
      this.needsFull = true;
      throw error;
    }
    // kube-proxy's rule: any failure means the next sync starts from a fresh read of the kernel.
    // A dry run never applies, so its mirror is never right: it always diffs against the kernel.
    this.needsFull = failures.length > 0 || this.options.dryRun === true;
    return { full, plans, writes, failures, familyFailures, servicesChanged: dirty.size, durationMs: clock.now() - started };
  }

  private recompute(family: FamilyState, dirty: Iterable<ServiceName>): void {
    for (const name of dirty) {
      const service = this.cache.service(name);
      family.index.setService(name, service === undefined ? undefined : contributeService(service, this.cache.endpoints(name), family.config));
    }
  }

  /** A kernel that cannot be read is a failed sync for that family, never an exception. */
  private async planOrFail(
    family: FamilyState, full: boolean, readSnapshot: () => Promise<KernelSnapshot>,
    byFamily: Map<IpFamily, readonly PlanFailure[]>, failures: PlanFailure[],
  ): Promise<Plan | undefined> {
    try {
      return await this.planFamily(family, full, readSnapshot);
    } catch (error) {
      const failure: PlanFailure = { step: 'observe', error: asProxierError(error, 'observe') };
      failures.push(failure);
      byFamily.set(family.config.family, [failure]);
      return undefined;
    }
  }

  private async planFamily(family: FamilyState, full: boolean, readSnapshot: () => Promise<KernelSnapshot>): Promise<Plan> {
    const changes = family.index.takeChanges();
    if (full || family.mirror === undefined) {
      const observed = await observeFamily(this.options.kernel, await readSnapshot(), family.config.family);
      family.mirror = Mirror.from(observed, (id) => family.index.virtualServer(id));
      return buildPlan({ config: family.config, desired: family.index, sets: family.sets, iptables: family.iptables, observed, changes: undefined });
    }
    return buildPlan({ config: family.config, desired: family.index, sets: family.sets, iptables: family.iptables, observed: family.mirror, changes });
  }
}
