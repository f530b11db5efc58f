/**
 * A plan: the ordered kernel writes that take one IP family from its observed state to its desired
 * state. It is plain data, so it renders to text (logs, --dry-run, golden tests) and applies through
 * the kernel layer (apply.ts) in the order below, which never breaks live traffic:
 *
 *   1. create kube-ipvs0      5. IPVS: add/update services, add destinations,
 *   2. bind new addresses        update destinations, delete destinations, delete services
 *   3. ipset: create sets,    6. unbind stale addresses
 *      add, then delete       7. destroy stale sets (nothing references them any more)
 *   4. iptables, one restore: our chains when they differ, and the removal of upstream
 *      leftovers (unhook, flush, delete), which must come before step 7 (EBUSY otherwise)
 */
import type { IpvsOperation } from '../kernel/ipvs/types.ts';
import type { SetMember } from '../desired/contribution.ts';
import type { DesiredSetSpec } from '../desired/ipsets.ts';
import type { DesiredIptables } from '../desired/iptables-rules.ts';
import type { IptablesRemoval } from '../ownership/iptables-removal.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface Plan {
  readonly family: IpFamily;
  /** A full plan was computed against a fresh read of the kernel; a partial one against the mirror. */
  readonly full: boolean;
  readonly createLink: boolean;
  readonly bindAddresses: readonly string[];
  readonly createSets: readonly DesiredSetSpec[];
  readonly addMembers: readonly SetMember[];
  readonly deleteMembers: readonly SetMember[];
  /** Our chains and jumps, rewritten whole; undefined when the kernel already has them. */
  readonly iptables: DesiredIptables | undefined;
  /** Upstream leftovers to remove in the same restore (full plans only); undefined: none. */
  readonly iptablesRemoval: IptablesRemoval | undefined;
  readonly ipvs: readonly IpvsOperation[];
  readonly unbindAddresses: readonly string[];
  readonly destroySets: readonly string[];
}

export function emptyPlan(family: IpFamily, full: boolean): Plan {
  return {
    family, full, createLink: false, bindAddresses: [], createSets: [], addMembers: [], deleteMembers: [],
    iptables: undefined, iptablesRemoval: undefined, ipvs: [], unbindAddresses: [], destroySets: [],
  };
}

export function isEmptyPlan(plan: Plan): boolean {
  return !plan.createLink && plan.bindAddresses.length === 0 && plan.createSets.length === 0
    && plan.addMembers.length === 0 && plan.deleteMembers.length === 0 && plan.iptables === undefined && plan.iptablesRemoval === undefined
    && plan.ipvs.length === 0 && plan.unbindAddresses.length === 0 && plan.destroySets.length === 0;
}
