/** The text of IPVS-mode plan lines (ipvs-steps.ts renders a whole plan with them). */
import { describeRealServer, describeVirtualServer, type IpvsOperation, type RealServer, type VirtualServer } from '../kernel/ipvs/types.ts';
import { ruleTarget } from '../kernel/iptables/text.ts';
import type { IptablesRemoval } from '../ownership/iptables-removal.ts';

/** Upstream leftovers, in the order the restore applies them (render order of addRemoval). */
export function renderRemoval(removal: IptablesRemoval): string[] {
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
