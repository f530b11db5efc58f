/**
 * The IPVS proxy mode: service IPs on kube-ipvs0, IPVS virtual servers, ipset members and a fixed
 * iptables companion (docs/architecture.md). Pure contributions per service, a diff against the
 * mirror (partial) or a fresh kernel read (full), and the step table of plan/ipvs-steps.ts.
 */
import type { FamilyConfig } from '../desired/config.ts';
import type { ConflictChanges } from '../desired/conflicts.ts';
import { contributeService, type ServiceEndpoints } from '../desired/contribution.ts';
import { DesiredStateIndex } from '../desired/index.ts';
import { desiredSets, type DesiredSetSpec } from '../desired/ipsets.ts';
import { desiredIptables, nodeRefusedPorts, outFilterSets, type DesiredIptables } from '../desired/iptables-rules.ts';
import type { RefusalChange } from '../desired/index.ts';
import { buildPlan } from '../diff/build-plan.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { Service, ServiceName } from '../model/types.ts';
import { IPVS_STEPS, renderPlan } from '../plan/ipvs-steps.ts';
import type { Plan } from '../plan/plan.ts';
import { applySteps, isEmptyPlan, recordSteps } from '../plan/step-table.ts';
import { ServedServers } from '../ownership/served-servers.ts';
import { Mirror } from './mirror.ts';
import { observeFamily, readKernelSnapshot, type KernelSnapshot } from './observe.ts';
import type { FamilyProxy, ProxyMode } from './proxy-mode.ts';

class IpvsFamily implements FamilyProxy<Plan, KernelSnapshot> {
  #config: FamilyConfig;
  readonly #kernel: Kernel;
  readonly #index = new DesiredStateIndex();
  readonly #sets: readonly DesiredSetSpec[];
  #iptables: DesiredIptables;
  #mirror: Mirror | undefined;
  readonly #served = new ServedServers();

  constructor(config: FamilyConfig, kernel: Kernel) {
    this.#config = config;
    this.#kernel = kernel;
    this.#sets = desiredSets(config.family);
    this.#iptables = this.#desiredIptables();
  }

  get family(): FamilyConfig['family'] {
    return this.#config.family;
  }

  get config(): FamilyConfig {
    return this.#config;
  }

  reconfigure(config: FamilyConfig): void {
    this.#config = config;
    this.#iptables = this.#desiredIptables();
  }

  contribute(name: ServiceName, service: Service | undefined, endpoints: ServiceEndpoints): void {
    this.#index.setService(name, service === undefined ? undefined : contributeService(service, endpoints, this.#config), service?.creationTimestamp);
  }

  takeConflictChanges(): ConflictChanges {
    return this.#index.takeConflictChanges();
  }

  takeRefusalChanges(): readonly RefusalChange[] {
    return this.#index.takeRefusalChanges();
  }

  async plan(full: boolean, snapshot: () => Promise<KernelSnapshot>): Promise<Plan> {
    const changes = this.#index.takeChanges();
    const isFull = full || this.#mirror === undefined;
    this.#noteServed(isFull ? this.#index.virtualServerIds() : changes.virtualServers);
    const iptablesChanged = outFilterSets(this.#config.family).some((set) => changes.sets.has(set));
    if (isFull || iptablesChanged) this.#iptables = this.#desiredIptables();
    const base = {
      config: this.#config, desired: this.#index, sets: this.#sets, iptables: this.#iptables, iptablesChanged,
      served: (key: Parameters<ServedServers['has']>[0]) => this.#served.has(key),
    };
    if (isFull || this.#mirror === undefined) {
      const observed = await observeFamily(this.#kernel, await snapshot(), this.#config.family);
      this.#mirror = Mirror.from(observed, (id) => this.#index.virtualServer(id));
      const plan = buildPlan({ ...base, observed, changes: undefined });
      this.#served.prune((id) => this.#index.virtualServer(id) !== undefined || observed.virtualServers.has(id));
      return plan;
    }
    return buildPlan({ ...base, observed: this.#mirror, changes });
  }

  /** KUBE-IPVS-OUT-FILTER's rules follow the desired load-balancer firewall members. */
  #desiredIptables(): DesiredIptables {
    return desiredIptables(this.#config, nodeRefusedPorts((set) => this.#index.setMembers(set), this.#config.family));
  }

  /** Desired servers off kube-ipvs0 (node IPs) stay ours after they stop being desired (served-servers.ts). */
  #noteServed(ids: Iterable<string>): void {
    for (const id of ids) {
      const key = this.#index.virtualServer(id)?.service.key;
      if (key?.kind === 'address' && !this.#index.hasAddress(key.address)) this.#served.add(key);
    }
  }

  applied(plan: Plan, snapshot: KernelSnapshot | undefined): void {
    if (this.#mirror !== undefined) recordSteps(IPVS_STEPS, this.#mirror, plan);
    // The next family of this full sync diffs against the same snapshot: it must not create the link again.
    if (plan.createLink && snapshot !== undefined) snapshot.linkExists = true;
  }
}

export const ipvsMode: ProxyMode<Plan, KernelSnapshot> = {
  name: 'ipvs',
  readSnapshot: readKernelSnapshot,
  family: (config, kernel) => new IpvsFamily(config, kernel),
  isEmpty: (plan) => isEmptyPlan(IPVS_STEPS, plan),
  apply: (plan, kernel) => applySteps(IPVS_STEPS, plan, kernel),
  render: renderPlan,
};
