/**
 * The engine, independent of the proxy mode: Services and EndpointSlices in, an incrementally
 * programmed kernel out.
 *
 *   sources → ServiceCache (change trackers) → mode family: contribute (pure, per dirty service)
 *     → plan (diff against the mirror, or a fresh kernel read when full) → mode.apply → mirror
 *
 * A sync is partial unless asked to be full, nothing was synced yet, or the previous sync failed:
 * then the kernel is re-read and everything is repaired (kube-proxy's rule). What the kernel
 * objects are is the mode's business (proxy-mode.ts); IPVS is the default.
 */
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.ts';
import { withNodeState, type FamilyConfig } from '../desired/config.ts';
import type { DesiredSysctl } from '../desired/sysctls.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { EndpointSliceInfo, Service, ServiceName } from '../model/types.ts';
import { serviceName } from '../model/types.ts';
import { nodeAddressesOf, type KernelAddress, type NodeObjectFacts, type NodeState } from '../model/node-state.ts';
import type { Plan } from '../plan/plan.ts';
import { asProxierError, type PlanFailure } from '../plan/step-table.ts';
import { NodeTracker } from '../tracking/node-tracker.ts';
import { ServiceCache, sliceKey } from '../tracking/service-cache.ts';
import type { IpFamily } from '../validate/validate.ts';
import type { HealthCheckTarget } from '../desired/health-check.ts';
import { logConflicts } from './conflict-logging.ts';
import { HealthChecks } from './health-checks.ts';
import { logRefusals } from './refusal-logging.ts';
import { ipvsMode } from './ipvs-mode.ts';
import type { FamilyProxy, ModePlan, ProxyMode } from './proxy-mode.ts';
import { ensureSysctls } from './sysctls.ts';

export interface SyncReport<P extends ModePlan = Plan> {
  readonly full: boolean;
  readonly plans: readonly P[];
  readonly writes: number;
  readonly failures: readonly PlanFailure[];
  /** Each family's share of `failures` (sysctl failures belong to no family); absent: none. */
  readonly familyFailures: ReadonlyMap<IpFamily, readonly PlanFailure[]>;
  /** Services recomputed in this sync. */
  readonly servicesChanged: number;
  readonly durationMs: number;
}

export interface ProxierOptions<P extends ModePlan = Plan, S = unknown> {
  readonly kernel: Kernel;
  /** One entry per IP family served (dual-stack: two). */
  readonly families: readonly FamilyConfig[];
  readonly logger: Logger;
  /** The proxy mode (default: IPVS). */
  readonly mode?: ProxyMode<P, S>;
  /** Node settings, checked on every full sync (desired/sysctls.ts). */
  readonly sysctls?: readonly DesiredSysctl[];
  /** Compute and report plans without touching the kernel (--dry-run). */
  readonly dryRun?: boolean;
  /** Measures each sync's duration. */
  readonly clock?: Clock;
}

export class Proxier<P extends ModePlan = Plan, S = unknown> {
  readonly cache = new ServiceCache();
  readonly mode: ProxyMode<P, S>;
  private readonly families: FamilyProxy<P, S>[];
  private readonly node: NodeTracker;
  private readonly healthCheckIndex: HealthChecks;
  private needsFull = true;
  private readonly options: ProxierOptions<P, S>;

  constructor(options: ProxierOptions<P, S>) {
    this.options = options;
    // Without a mode the plan type is IPVS's: the default type parameters say so.
    this.mode = options.mode ?? (ipvsMode as unknown as ProxyMode<P, S>);
    this.families = options.families.map((config) => this.mode.family(config, options.kernel));
    this.node = new NodeTracker(options.families[0]?.nodeName ?? '');
    this.healthCheckIndex = new HealthChecks(options.families.map((f) => f.family), options.families[0]?.nodeName ?? '');
  }

  onServiceUpdate(previous: Service | undefined, current: Service | undefined): void {
    const s = current ?? previous;
    if (s !== undefined) this.cache.serviceChanges.update(serviceName(s.namespace, s.name), previous, current);
  }

  onEndpointSliceUpdate(previous: EndpointSliceInfo | undefined, current: EndpointSliceInfo | undefined): void {
    const s = current ?? previous;
    if (s !== undefined) this.cache.sliceChanges.update(sliceKey(s), previous, current);
  }

  /** The Node object changed (cluster mode); undefined: it is gone. */
  onNodeUpdate(facts: NodeObjectFacts | undefined): void {
    this.node.setObject(facts);
  }

  /** The kernel's address list, read by the sync loop; only a change of node IPs counts. */
  onNodeAddresses(addresses: readonly KernelAddress[]): void {
    this.node.setAddresses(nodeAddressesOf(addresses));
  }

  get nodeState(): NodeState {
    return this.node.current;
  }

  /**
   * The healthCheckNodePort services and their local ready endpoint counts as of the last sync
   * (observability/service-health.ts serves them).
   */
  get healthChecks(): ReadonlyMap<ServiceName, HealthCheckTarget> {
    return this.healthCheckIndex.current;
  }

  /** Each family's current settings (node IPs and NodePort IPs follow the node's addresses). */
  get familyConfigs(): readonly FamilyConfig[] {
    return this.families.map((f) => f.config);
  }

  get pendingChanges(): number {
    return this.cache.serviceChanges.size + this.cache.sliceChanges.size + (this.node.pending ? 1 : 0);
  }

  /** The mode's text for a plan of this proxier (logs, --dry-run). */
  render(plan: P): string {
    return this.mode.render(plan);
  }

  async sync(options: { full?: boolean } = {}): Promise<SyncReport<P>> {
    const clock = this.options.clock ?? realClock;
    const started = clock.now();
    const full = options.full === true || this.needsFull;
    const dirty = this.cache.commit();
    if (this.applyNodeState()) for (const name of this.cache.serviceNames()) dirty.add(name);
    for (const family of this.families) this.recompute(family, dirty);
    this.healthCheckIndex.update(this.cache, dirty);
    const plans: P[] = [];
    const failures: PlanFailure[] = [];
    const familyFailures = new Map<IpFamily, readonly PlanFailure[]>();
    let writes = 0;
    try {
      if (full && this.options.dryRun !== true) writes += await this.ensureSysctls(failures);
      // A full sync reads the kernel's shared state once for every family.
      let snapshot: Promise<S> | undefined;
      let read: S | undefined;
      const readSnapshot = async (): Promise<S> => (read = await (snapshot ??= this.mode.readSnapshot(this.options.kernel)));
      for (const family of this.families) {
        const plan = await this.planOrFail(family, full, readSnapshot, familyFailures, failures);
        if (plan === undefined) continue;
        plans.push(plan);
        if (this.options.dryRun === true || this.mode.isEmpty(plan)) continue;
        const report = await this.mode.apply(plan, this.options.kernel);
        writes += report.writes;
        failures.push(...report.failures);
        if (report.failures.length > 0) familyFailures.set(family.family, report.failures);
        family.applied(plan, read);
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

  /**
   * Node state is an input like the others: when what the desired state reads of it changed
   * (zone, this family's node IPs), every service is recomputed. Returns whether any family changed.
   */
  private applyNodeState(): boolean {
    const change = this.node.commit();
    if (change === undefined) return false;
    let changed = false;
    for (const family of this.families) {
      const next = withNodeState(family.config, change.current);
      if (next === family.config) continue;
      family.reconfigure(next);
      changed = true;
    }
    return changed;
  }

  private async ensureSysctls(failures: PlanFailure[]): Promise<number> {
    const sysctls = await ensureSysctls(this.options.kernel.sysctl, this.options.sysctls ?? []);
    for (const d of sysctls.written) this.options.logger.info({ sysctl: d.name, value: d.value, reason: d.reason }, 'node setting changed');
    failures.push(...sysctls.failures);
    return sysctls.written.length;
  }

  private recompute(family: FamilyProxy<P, S>, dirty: Iterable<ServiceName>): void {
    for (const name of dirty) family.contribute(name, this.cache.service(name), this.cache.endpoints(name));
    logConflicts(this.options.logger, family.takeConflictChanges(), (name) => this.describe(name));
    logRefusals(this.options.logger, family.takeRefusalChanges(), (name) => this.describe(name));
  }

  private describe(name: ServiceName): string {
    const origin = this.cache.service(name)?.origin;
    return origin === undefined ? name : `${name} (${origin})`;
  }

  /** A kernel that cannot be read is a failed sync for that family, never an exception. */
  private async planOrFail(
    family: FamilyProxy<P, S>, full: boolean, readSnapshot: () => Promise<S>,
    byFamily: Map<IpFamily, readonly PlanFailure[]>, failures: PlanFailure[],
  ): Promise<P | undefined> {
    try {
      return await family.plan(full, readSnapshot);
    } catch (error) {
      const failure: PlanFailure = { step: 'observe', abortsSync: true, error: asProxierError(error, 'observe') };
      failures.push(failure);
      byFamily.set(family.family, [failure]);
      return undefined;
    }
  }
}
