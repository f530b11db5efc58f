/** Typed errors of the ownership module (classified by code, never by message text). */
import { ProxierError } from '../errors.ts';
import { renderArgs } from '../kernel/iptables/text.ts';
import type { RuleRef } from './iptables-removal.ts';

/**
 * An object of ours that cannot be removed because a rule we do not own still uses it: a chain a
 * foreign rule jumps to (flushed, kept), or a set a foreign rule matches (kept). Removing it would
 * mean removing someone else's rule, or failing with EBUSY.
 */
export class InUseError extends ProxierError {
  readonly heldBy: RuleRef;

  constructor(object: string, heldBy: RuleRef, operation: string) {
    const rule = `-t ${heldBy.table} -A ${heldBy.chain} ${renderArgs(heldBy.args)}`;
    super('ERR_OWNED_OBJECT_IN_USE', `${operation}: ${object} is kept: a rule we do not own still uses it (${rule})`, { operation, object });
    this.heldBy = heldBy;
  }
}
