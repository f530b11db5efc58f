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
import { isExcluded } from './exclude.ts';

export interface PlanInput {
  readonly config: FamilyConfig;
  readonly desired: DesiredStateIndex;
  readonly sets: readonly DesiredSetSpec[];
  readonly iptables: DesiredIptables;
  readonly observed: ObservedState;
  /** undefined: full diff over everything. */
  readonly changes: DesiredChanges | undefined;
}

export function buildPlan(input: PlanInput): Plan {
  const { desired, observed, changes } = input;
  const full = changes === undefined;
  const addressIds = full ? union(desired.addresses(), observed.addresses) : changes.addresses;
  const vsIds = full ? union(desired.virtualServerIds(), observed.virtualServers.keys()) : changes.virtualServers;
  const setNames = full ? input.sets.map((s) => s.name) : changes.sets;
  const members = diffMembers(setNames, desired, observed);
  return {
    family: input.config.family,
    full,
    createLink: !observed.linkExists,
    bindAddresses: [...addressIds].filter((a) => desired.hasAddress(a) && !observed.addresses.has(a)).sort(),
    createSets: input.sets.filter((s) => !observed.sets.has(s.name)),
    addMembers: members.add,
    deleteMembers: members.delete,
    iptables: full && !iptablesMatch(input.iptables, observed) ? input.iptables : undefined,
    ipvs: diffIpvs({
      ids: [...vsIds].sort(),
      desired: (id) => desired.virtualServer(id),
      observed: (id) => observed.virtualServers.get(id),
      owned: (vs) => owns(vs, input, observed),
    }),
    unbindAddresses: [...addressIds].filter((a) => !desired.hasAddress(a) && observed.addresses.has(a)).sort(),
    // Sets of ours (the observer reports only this family's KUBE- sets) that are no longer wanted.
    destroySets: full ? [...observed.sets.keys()].filter((name) => !input.sets.some((s) => s.name === name)).sort() : [],
  };
}

/**
 * Ours to delete: a virtual server on an address we bind (or bound) on kube-ipvs0, outside
 * --ipvs-exclude-cidrs. Anything else in the IPVS table belongs to someone else.
 */
function owns(vs: ObservedVirtualServer, input: PlanInput, observed: ObservedState): boolean {
  const key = vs.service.key;
  if (key.kind !== 'address' || key.family !== input.config.family) return false;
  if (!observed.addresses.has(key.address) && !input.desired.hasAddress(key.address)) return false;
  return !isExcluded(key.address, input.config.excludeCIDRs);
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
