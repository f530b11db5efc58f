/**
 * An IPVS-mode plan: the kernel writes that take one IP family from its observed state to its
 * desired state. It is plain data; ipvs-steps.ts applies, renders, records and counts it, one
 * table row per field, in an order that never breaks live traffic.
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
