/**
 * Desired state + observed state → Plan, for one family. A full diff looks at everything (after a
 * fresh kernel read); a partial diff looks only at what the desired state says changed, against the
 * engine's mirror, so one endpoint change out of 10k services costs one virtual server's diff.
 */
import type { DesiredStateIndex, DesiredChanges } from '../desired/index.ts';
import type { DesiredIptables } from '../desired/iptables-rules.ts';
import type { DesiredSetSpec } from '../desired/ipsets.ts';
import type { SetMember } from '../desired/contribution.ts';
import type { FamilyConfig } from '../desired/config.ts';
import type { Plan } from '../plan/plan.ts';
import { diffIpvs } from './ipvs.ts';
import { chainKey, jumpKey, type ObservedState, type ObservedVirtualServer } from './observed.ts';
import { analyzeRemoval, isEmptyRemoval, type RemovalAnalysis } from '../ownership/iptables-removal.ts';
import { nodePortsFromSets } from '../ownership/node-ports.ts';
import { ownsVirtualServer, type VirtualServerScope } from '../ownership/virtual-servers.ts';

export interface PlanInput {
  readonly config: FamilyConfig;
  readonly desired: DesiredStateIndex;
  readonly sets: readonly DesiredSetSpec[];
  readonly iptables: DesiredIptables;
  readonly observed: ObservedState;
  /** undefined: full diff over everything. */
  readonly changes: DesiredChanges | undefined;
  /**
   * The desired rules changed (KUBE-IPVS-OUT-FILTER follows the load-balancer source ranges): a
   * partial diff compares them with the mirror too. A full diff always does.
   */
  readonly iptablesChanged?: boolean;
  /** Servers this process desired off kube-ipvs0 (ownership/served-servers.ts). */
  readonly served?: (key: Extract<ObservedVirtualServer['service']['key'], { kind: 'address' }>) => boolean;
}

export function buildPlan(input: PlanInput): Plan {
  const { desired, observed, changes } = input;
  const full = changes === undefined;
  const addressIds = full ? union(desired.addresses(), observed.addresses) : changes.addresses;
  const vsIds = full ? union(desired.virtualServerIds(), observed.virtualServers.keys()) : changes.virtualServers;
  const setNames = full ? input.sets.map((s) => s.name) : changes.sets;
  const members = diffMembers(setNames, desired, observed);
  const leftovers = full ? adoptedLeftovers(observed) : undefined;
  return {
    family: input.config.family,
    full,
    createLink: !observed.linkExists,
    bindAddresses: [...addressIds].filter((a) => desired.hasAddress(a) && !observed.addresses.has(a)).sort(),
    createSets: input.sets.filter((s) => !observed.sets.has(s.name)),
    addMembers: members.add,
    deleteMembers: members.delete,
    iptables: (full || input.iptablesChanged === true) && !iptablesMatch(input.iptables, observed) ? input.iptables : undefined,
    iptablesRemoval: leftovers === undefined || isEmptyRemoval(leftovers.removal) ? undefined : leftovers.removal,
    ipvs: diffIpvs({
      ids: [...vsIds].sort(),
      desired: (id) => desired.virtualServer(id),
      observed: (id) => observed.virtualServers.get(id),
      owned: ownedBy(input, observed),
    }),
    unbindAddresses: [...addressIds].filter((a) => !desired.hasAddress(a) && observed.addresses.has(a)).sort(),
    destroySets: full ? staleSets(input, observed, leftovers) : [],
  };
}

/** Upstream leftovers in this family's iptables (full syncs: only they read the whole save). */
function adoptedLeftovers(observed: ObservedState): RemovalAnalysis | undefined {
  return observed.iptables === undefined ? undefined : analyzeRemoval(observed.iptables, 'adopted');
}

/**
 * Owned sets (the observer reports only this family's, src/ownership/sets.ts) that are no longer
 * wanted, except those a foreign rule still matches: the kernel would refuse them (EBUSY), and
 * the failure would force every later sync to be full.
 */
function staleSets(input: PlanInput, observed: ObservedState, leftovers: RemovalAnalysis | undefined): string[] {
  const wanted = new Set(input.sets.map((s) => s.name));
  return [...observed.sets.keys()].filter((name) => !wanted.has(name) && leftovers?.setsInUse.has(name) !== true).sort();
}

/**
 * Which observed virtual servers the ownership module lets this family's diff delete. Node ports
 * come from the NodePort (and externalIP, load-balancer) sets as observed, i.e. before this plan
 * deletes their members (the ipvs step runs after the ipset step, but the diff reads them first):
 * the takeover sync deletes upstream's node-IP virtual servers that we do not serve, and a port
 * removed in this sync still vouches for the server this plan deletes.
 */
function ownedBy(input: PlanInput, observed: ObservedState): (vs: ObservedVirtualServer) => boolean {
  let scope: VirtualServerScope | undefined;
  // Built on first use: most syncs delete no virtual server at all.
  const scopeOf = (): VirtualServerScope => (scope ??= {
    family: input.config.family,
    onKubeIpvs0: (address) => observed.addresses.has(address) || input.desired.hasAddress(address),
    nodeIPs: new Set(input.config.nodeIPs),
    nodePorts: [nodePortsFromSets(observed.sets)],
    excludeCIDRs: input.config.excludeCIDRs,
    served: input.served,
  });
  return (vs) => ownsVirtualServer(vs.service.key, scopeOf());
}

function diffMembers(setNames: Iterable<string>, desired: DesiredStateIndex, observed: ObservedState): { add: SetMember[]; delete: SetMember[] } {
  const add: SetMember[] = [];
  const del: SetMember[] = [];
  for (const set of [...setNames].sort()) {
    const want = desired.setMembers(set);
    const have = observed.sets.get(set) ?? new Set<string>();
    for (const member of [...want].sort()) if (!have.has(member)) add.push({ set, member });
    for (const member of [...have].sort()) if (!want.has(member)) del.push({ set, member });
  }
  return { add, delete: del };
}

function iptablesMatch(wanted: DesiredIptables, observed: ObservedState): boolean {
  const chainsMatch = wanted.chains.every((c) => sameRules(c.rules, observed.chains.get(chainKey(c.table, c.name))));
  return chainsMatch && wanted.jumps.every((j) => observed.jumps.has(jumpKey(j)));
}

function sameRules(a: readonly (readonly string[])[], b: readonly (readonly string[])[] | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  return a.every((rule, i) => {
    const other = b[i];
    return other !== undefined && rule.length === other.length && rule.every((arg, j) => arg === other[j]);
  });
}

function union<T>(a: Iterable<T>, b: Iterable<T>): Set<T> {
  const out = new Set(a);
  for (const x of b) out.add(x);
  return out;
}
