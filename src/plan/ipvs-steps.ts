/**
 * The IPVS mode's plan steps, in apply order: an order that never breaks live traffic.
 *
 *   1. create kube-ipvs0      5. IPVS: add/update services, add destinations,
 *   2. bind new addresses        update destinations, delete destinations, delete services
 *   3. ipset: create sets,    6. unbind stale addresses
 *      add, then delete       7. destroy stale sets (nothing references them any more)
 *   4. iptables, one restore: our chains when they differ, and the removal of upstream
 *      leftovers (unhook, flush, delete), which must come before step 7 (EBUSY otherwise)
 *
 * Each row says how its writes are counted, rendered, applied and recorded in the mirror.
 */
import { desiredSets } from '../desired/ipsets.ts';
import type { DesiredIptables } from '../desired/iptables-rules.ts';
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import { chainKey, jumpKey } from '../diff/observed.ts';
import type { Mirror } from '../engine/mirror.ts';
import { IpsetTransaction } from '../kernel/ipset/transaction.ts';
import type { SetSpec } from '../kernel/ipset/types.ts';
import { IptablesTransaction } from '../kernel/iptables/transaction.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { InterfaceAddress } from '../kernel/link/types.ts';
import { addRemoval, type IptablesRemoval } from '../ownership/iptables-removal.ts';
import type { Plan } from './plan.ts';
import { renderIpvs, renderRemoval } from './render.ts';
import { renderSteps, type StepFailure, type StepTable } from './step-table.ts';

const prefix = (plan: Plan, address: string): string => `${address}/${plan.family === 4 ? 32 : 128}`;

export const IPVS_STEPS: StepTable<Plan, Mirror> = [
  {
    step: 'link', abortsSync: true,
    writes: (p) => (p.createLink ? 1 : 0),
    render: () => [`link create ${KUBE_IPVS_INTERFACE} type dummy (left down)`],
    apply: async (_p, kernel) => { await kernel.links.ensureDummy(KUBE_IPVS_INTERFACE); },
    record: (m) => { m.linkExists = true; },
  },
  {
    step: 'bind', abortsSync: false,
    writes: (p) => p.bindAddresses.length,
    render: (p) => p.bindAddresses.map((a) => `addr add ${prefix(p, a)} dev ${KUBE_IPVS_INTERFACE}`),
    apply: (p, kernel) => changeAddresses(kernel, p, 'add'),
    record: (m, p) => { for (const a of p.bindAddresses) m.addresses.add(a); },
  },
  {
    step: 'ipset', abortsSync: true,
    writes: (p) => (p.createSets.length + p.addMembers.length + p.deleteMembers.length > 0 ? 1 : 0),
    render: (p) => [
      // bitmap:port has no family; the transaction gives it the full port range, as upstream does.
      ...p.createSets.map((s) => `ipset create ${s.name} ${s.type} ${s.type === 'bitmap:port' ? 'range 0-65535' : `family ${s.family === 4 ? 'inet' : 'inet6'}`}`),
      ...p.addMembers.map((m) => `ipset add ${m.set} ${m.member}`),
      ...p.deleteMembers.map((m) => `ipset del ${m.set} ${m.member}`),
    ],
    apply: (p, kernel) => kernel.ipset.apply(ipsetTransaction(p)),
    record: (m, p) => {
      for (const s of p.createSets) if (!m.sets.has(s.name)) m.sets.set(s.name, new Set());
      for (const { set, member } of p.addMembers) m.membersOf(set).add(member);
      for (const { set, member } of p.deleteMembers) m.sets.get(set)?.delete(member);
    },
  },
  {
    step: 'iptables', abortsSync: true,
    writes: (p) => (p.iptables !== undefined || p.iptablesRemoval !== undefined ? 1 : 0),
    render: (p) => [
      ...(p.iptables?.chains ?? []).map((c) => `iptables -t ${c.table} rewrite ${c.name} (${c.rules.length} rules)`),
      ...(p.iptables?.jumps ?? []).map((j) => `iptables -t ${j.table} ensure ${j.chain} -j ${j.target}`),
      ...(p.iptablesRemoval === undefined ? [] : renderRemoval(p.iptablesRemoval)),
    ],
    apply: (p, kernel) => kernel.iptables.restore(p.family, iptablesTransaction(p.family, p.iptables, p.iptablesRemoval)),
    record: (m, p) => {
      for (const c of p.iptables?.chains ?? []) m.chains.set(chainKey(c.table, c.name), c.rules);
      for (const j of p.iptables?.jumps ?? []) m.jumps.add(jumpKey(j));
    },
  },
  {
    step: 'ipvs', abortsSync: false,
    writes: (p) => p.ipvs.length,
    render: (p) => p.ipvs.map(renderIpvs),
    apply: async (p, kernel) => (await kernel.ipvs.apply(p.ipvs)).failures.map((f) => ({ error: f.error, operation: f.operation })),
    record: (m, p) => m.recordIpvs(p.ipvs),
  },
  {
    step: 'unbind', abortsSync: false,
    writes: (p) => p.unbindAddresses.length,
    render: (p) => p.unbindAddresses.map((a) => `addr del ${prefix(p, a)} dev ${KUBE_IPVS_INTERFACE}`),
    apply: (p, kernel) => changeAddresses(kernel, p, 'delete'),
    record: (m, p) => { for (const a of p.unbindAddresses) m.addresses.delete(a); },
  },
  {
    step: 'destroySets', abortsSync: false,
    writes: (p) => (p.destroySets.length > 0 ? 1 : 0),
    render: (p) => p.destroySets.map((s) => `ipset destroy ${s}`),
    apply: (p, kernel) => {
      const tx = new IpsetTransaction();
      for (const set of p.destroySets) tx.destroy(set);
      return kernel.ipset.apply(tx);
    },
    record: (m, p) => { for (const s of p.destroySets) m.sets.delete(s); },
  },
];

/** Plan → text, one line per write, in apply order. */
export function renderPlan(plan: Plan): string {
  return renderSteps(IPVS_STEPS, plan);
}

async function changeAddresses(kernel: Kernel, plan: Plan, change: 'add' | 'delete'): Promise<StepFailure[]> {
  const prefixLength = plan.family === 4 ? 32 : 128;
  const list = change === 'add' ? plan.bindAddresses : plan.unbindAddresses;
  const addresses: InterfaceAddress[] = list.map((address) => ({ family: plan.family, address, prefixLength }));
  const failed = await kernel.links.changeAddresses(KUBE_IPVS_INTERFACE, change === 'add' ? { add: addresses, delete: [] } : { add: [], delete: addresses });
  return failed.map((f) => ({ error: f.error }));
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
