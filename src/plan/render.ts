/** Plan → text, one line per write, in apply order. Used by logs, --dry-run and golden tests. */
import { describeRealServer, describeVirtualServer, type IpvsOperation, type RealServer, type VirtualServer } from '../kernel/ipvs/types.ts';
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import { ruleTarget } from '../kernel/iptables/text.ts';
import type { IptablesRemoval } from '../ownership/iptables-removal.ts';
import type { Plan } from './plan.ts';

export function renderPlan(plan: Plan): string {
  const lines: string[] = [];
  const prefix = (address: string): string => `${address}/${plan.family === 4 ? 32 : 128}`;
  if (plan.createLink) lines.push(`link create ${KUBE_IPVS_INTERFACE} type dummy (left down)`);
  for (const a of plan.bindAddresses) lines.push(`addr add ${prefix(a)} dev ${KUBE_IPVS_INTERFACE}`);
  for (const s of plan.createSets) lines.push(`ipset create ${s.name} ${s.type} family ${s.family === 4 ? 'inet' : 'inet6'}`);
  for (const m of plan.addMembers) lines.push(`ipset add ${m.set} ${m.member}`);
  for (const m of plan.deleteMembers) lines.push(`ipset del ${m.set} ${m.member}`);
  if (plan.iptables !== undefined) {
    for (const c of plan.iptables.chains) lines.push(`iptables -t ${c.table} rewrite ${c.name} (${c.rules.length} rules)`);
    for (const j of plan.iptables.jumps) lines.push(`iptables -t ${j.table} ensure ${j.chain} -j ${j.target}`);
  }
  if (plan.iptablesRemoval !== undefined) lines.push(...renderRemoval(plan.iptablesRemoval));
  for (const op of plan.ipvs) lines.push(renderIpvs(op));
  for (const a of plan.unbindAddresses) lines.push(`addr del ${prefix(a)} dev ${KUBE_IPVS_INTERFACE}`);
  for (const s of plan.destroySets) lines.push(`ipset destroy ${s}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Upstream leftovers, in the order the restore applies them (render order of addRemoval). */
function renderRemoval(removal: IptablesRemoval): string[] {
  return [
    ...removal.heldChains.filter((c) => c.rules > 0).map((c) => `iptables -t ${c.table} flush ${c.chain} (kept: a foreign rule in ${c.heldBy.chain} jumps to it)`),
    ...removal.unhook.map((r) => `iptables -t ${r.table} unhook ${r.chain} -j ${ruleTarget(r.args) ?? '?'}`),
    ...removal.deleteChains.map((c) => `iptables -t ${c.table} delete ${c.chain}`),
  ];
}

export function renderIpvs(op: IpvsOperation): string {
  switch (op.op) {
    case 'addService': return `ipvs add service ${describeService(op.service)}`;
    case 'updateService': return `ipvs update service ${describeService(op.service)}`;
    case 'deleteService': return `ipvs delete service ${describeVirtualServer(op.key)}`;
    case 'addDestination': return `ipvs add destination ${describeVirtualServer(op.service)} -> ${describeDestination(op.destination)}`;
    case 'updateDestination': return `ipvs update destination ${describeVirtualServer(op.service)} -> ${describeDestination(op.destination)}`;
    case 'deleteDestination': return `ipvs delete destination ${describeVirtualServer(op.service)} -> ${describeRealServer(op.destination)}`;
  }
}

function describeService(s: VirtualServer): string {
  const persistence = s.timeout > 0 ? ` timeout ${s.timeout}` : '';
  return `${describeVirtualServer(s.key)} scheduler ${s.scheduler} flags 0x${s.flags.toString(16)}${persistence}`;
}

function describeDestination(d: RealServer): string {
  return `${describeRealServer(d)} ${d.forward} weight ${d.weight}`;
}
