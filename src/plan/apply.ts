/**
 * Applies a plan through the kernel layer, step by step in plan order. A failing step does not stop
 * the later ones (each is independent in the kernel, and skipping IPVS writes because an address
 * bind failed would only widen the damage); every failure is reported, and the engine answers any
 * failure by forcing the next sync to be full, which re-reads the kernel and repairs.
 */
import { ProxierError } from '../errors.ts';
import { IpsetTransaction } from '../kernel/ipset/transaction.ts';
import type { SetSpec } from '../kernel/ipset/types.ts';
import { desiredSets } from '../desired/ipsets.ts';
import { IptablesTransaction } from '../kernel/iptables/transaction.ts';
import type { IpvsOperation } from '../kernel/ipvs/types.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { InterfaceAddress } from '../kernel/link/types.ts';
import type { DesiredIptables } from '../desired/iptables-rules.ts';
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import { addRemoval, type IptablesRemoval } from '../ownership/iptables-removal.ts';
import type { Plan } from './plan.ts';

export type PlanStep = 'observe' | 'sysctl' | 'link' | 'bind' | 'ipset' | 'iptables' | 'ipvs' | 'unbind' | 'destroySets';

export interface PlanFailure {
  readonly step: PlanStep;
  readonly error: ProxierError;
  /** The failing IPVS operation, when the backend could tell. */
  readonly operation?: IpvsOperation | undefined;
}

export interface ApplyReport {
  /** Kernel writes issued: netlink messages plus restore-tool runs. */
  readonly writes: number;
  readonly failures: readonly PlanFailure[];
}

export async function applyPlan(plan: Plan, kernel: Kernel): Promise<ApplyReport> {
  const failures: PlanFailure[] = [];
  let writes = 0;
  const step = async (name: PlanStep, count: number, run: () => Promise<readonly PlanFailure[] | void>): Promise<void> => {
    if (count === 0) return;
    writes += count;
    try {
      failures.push(...((await run()) ?? []));
    } catch (error) {
      failures.push({ step: name, error: asProxierError(error, name) });
    }
  };
  await step('link', plan.createLink ? 1 : 0, async () => { await kernel.links.ensureDummy(KUBE_IPVS_INTERFACE); });
  await step('bind', plan.bindAddresses.length, () => changeAddresses(kernel, plan, 'add'));
  const ipsetTx = ipsetTransaction(plan);
  await step('ipset', ipsetTx.size > 0 ? 1 : 0, () => kernel.ipset.apply(ipsetTx));
  const iptablesWrites = plan.iptables !== undefined || plan.iptablesRemoval !== undefined ? 1 : 0;
  await step('iptables', iptablesWrites, () => kernel.iptables.restore(plan.family, iptablesTransaction(plan.family, plan.iptables, plan.iptablesRemoval)));
  await step('ipvs', plan.ipvs.length, async () => {
    const result = await kernel.ipvs.apply(plan.ipvs);
    return result.failures.map((f) => ({ step: 'ipvs' as const, error: f.error, operation: f.operation }));
  });
  await step('unbind', plan.unbindAddresses.length, () => changeAddresses(kernel, plan, 'delete'));
  const destroyTx = new IpsetTransaction();
  for (const set of plan.destroySets) destroyTx.destroy(set);
  await step('destroySets', destroyTx.size > 0 ? 1 : 0, () => kernel.ipset.apply(destroyTx));
  return { writes, failures };
}

async function changeAddresses(kernel: Kernel, plan: Plan, change: 'add' | 'delete'): Promise<PlanFailure[]> {
  const prefixLength = plan.family === 4 ? 32 : 128;
  const list = change === 'add' ? plan.bindAddresses : plan.unbindAddresses;
  const addresses: InterfaceAddress[] = list.map((address) => ({ family: plan.family, address, prefixLength }));
  const failed = await kernel.links.changeAddresses(KUBE_IPVS_INTERFACE, change === 'add' ? { add: addresses, delete: [] } : { add: [], delete: addresses });
  return failed.map((f) => ({ step: change === 'add' ? 'bind' : 'unbind', error: f.error }));
}

function ipsetTransaction(plan: Plan): IpsetTransaction {
  const tx = new IpsetTransaction();
  // Members are validated against their set's type, so each line names the full spec, not just the set.
  const specs = new Map<string, SetSpec>(desiredSets(plan.family).map((s) => [s.name, { name: s.name, type: s.type, family: s.family }]));
  const specOf = (set: string): SetSpec | string => specs.get(set) ?? set;
  for (const spec of plan.createSets) tx.create({ name: spec.name, type: spec.type, family: spec.family });
  for (const { set, member } of plan.addMembers) tx.add(specOf(set), member);
  for (const { set, member } of plan.deleteMembers) tx.del(specOf(set), member);
  return tx;
}

/** Our chains and jumps, plus the removal of leftovers: one restore, each table all or nothing. */
export function iptablesTransaction(family: 4 | 6, desired: DesiredIptables | undefined, removal?: IptablesRemoval): IptablesTransaction {
  const tx = new IptablesTransaction(family);
  for (const chain of desired?.chains ?? []) {
    tx.declareChain(chain.table, chain.name);
    for (const rule of chain.rules) tx.appendRule(chain.table, chain.name, rule);
  }
  for (const jump of desired?.jumps ?? []) tx.ensureJump(jump);
  return removal === undefined ? tx : addRemoval(tx, removal);
}

export function asProxierError(error: unknown, step: PlanStep): ProxierError {
  if (error instanceof ProxierError) return error;
  return new ProxierError('ERR_APPLY', `plan step ${step} failed: ${String(error)}`, { operation: `apply ${step}`, cause: error });
}
