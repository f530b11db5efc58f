/**
 * What removing our iptables objects takes, read from one family's iptables-save: which jump rules
 * to unhook, which chains to flush and delete, and which sets are still referenced afterwards.
 *
 * Two scopes:
 * - `adopted` (every full sync): only upstream leftovers go. Our own chains are rewritten by the
 *   same restore, so afterwards they reference nothing but our chains and sets.
 * - `all` (`--cleanup`): ours go as well.
 *
 * The kernel refuses `-X` of a chain some rule still jumps to, and refuses to destroy a set a rule
 * still matches (EBUSY). So a chain that a rule we keep (a foreign one) jumps to is flushed but not
 * deleted, and a set that a kept rule matches is reported in use: destroying it would only fail,
 * and fail again on every later sync.
 */
import { ruleSets, ruleTarget } from '../kernel/iptables/text.ts';
import type { IptablesTransaction } from '../kernel/iptables/transaction.ts';
import type { ChainRef, IptablesState, Table, TableState } from '../kernel/iptables/types.ts';
import { chainOwner } from './chains.ts';
import { jumpOwner } from './jumps.ts';
import type { Owner } from './sets.ts';

export type RemovalScope = 'adopted' | 'all';

export interface RuleRef {
  readonly table: Table;
  readonly chain: string;
  readonly args: readonly string[];
}

/** An owned chain some kept rule jumps to: flushed (when it has rules), never deleted. */
export interface HeldChain extends ChainRef {
  readonly rules: number;
  readonly heldBy: RuleRef;
}

export interface IptablesRemoval {
  /** Owned jump rules in built-in chains, one entry per copy. */
  readonly unhook: readonly RuleRef[];
  /** Owned chains that nothing kept jumps to: flushed, then deleted. */
  readonly deleteChains: readonly ChainRef[];
  readonly heldChains: readonly HeldChain[];
}

export interface RemovalAnalysis {
  readonly removal: IptablesRemoval;
  /** Sets that rules staying after the removal match, each with one such rule. */
  readonly setsInUse: ReadonlyMap<string, RuleRef>;
}

export function analyzeRemoval(state: IptablesState, scope: RemovalScope): RemovalAnalysis {
  const removes = (owner: Owner | undefined): boolean => owner === 'adopted' || (owner === 'ours' && scope === 'all');
  const removal: MutableRemoval = { unhook: [], deleteChains: [], heldChains: [] };
  const setsInUse = new Map<string, RuleRef>();
  for (const [table, tableState] of state.tables) analyzeTable(table, tableState, removes, removal, setsInUse);
  return { removal, setsInUse };
}

interface MutableRemoval {
  readonly unhook: RuleRef[];
  readonly deleteChains: ChainRef[];
  readonly heldChains: HeldChain[];
}

function analyzeTable(
  table: Table, state: TableState, removes: (owner: Owner | undefined) => boolean, removal: MutableRemoval, setsInUse: Map<string, RuleRef>,
): void {
  const doomed = new Set([...state.chains.values()].filter((c) => !c.builtin && removes(chainOwner(table, c.name))).map((c) => c.name));
  const holders = new Map<string, RuleRef>();
  for (const rule of rulesOf(table, state)) {
    const owner = rule.builtin ? jumpOwner(table, rule.chain, rule.args) : chainOwner(table, rule.chain);
    if (rule.builtin && removes(owner)) removal.unhook.push(rule.ref);
    if (removes(owner) || owner === 'ours') continue; // flushed, or (ours) rewritten to the desired rules
    const target = ruleTarget(rule.args);
    if (target !== undefined && doomed.has(target) && !holders.has(target)) holders.set(target, rule.ref);
    for (const set of ruleSets(rule.args)) if (!setsInUse.has(set)) setsInUse.set(set, rule.ref);
  }
  for (const name of doomed) {
    const heldBy = holders.get(name);
    if (heldBy === undefined) removal.deleteChains.push({ table, chain: name });
    else removal.heldChains.push({ table, chain: name, rules: state.chains.get(name)?.rules.length ?? 0, heldBy });
  }
}

interface RuleInTable {
  readonly chain: string;
  readonly builtin: boolean;
  readonly args: readonly string[];
  readonly ref: RuleRef;
}

function* rulesOf(table: Table, state: TableState): Generator<RuleInTable> {
  for (const chain of state.chains.values()) {
    for (const args of chain.rules) yield { chain: chain.name, builtin: chain.builtin, args, ref: { table, chain: chain.name, args } };
  }
}

export function isEmptyRemoval(removal: IptablesRemoval): boolean {
  return removal.unhook.length === 0 && removal.deleteChains.length === 0 && removal.heldChains.every((c) => c.rules === 0);
}

/**
 * Adds the removal to a transaction. Per table, iptables-restore gets the flushes first (chain
 * lines), then the `-D` of the jumps, then the `-X`: by then nothing the removal leaves jumps to a
 * deleted chain, and the table commits all or nothing.
 */
export function addRemoval(tx: IptablesTransaction, removal: IptablesRemoval): IptablesTransaction {
  for (const c of removal.heldChains) if (c.rules > 0) tx.declareChain(c.table, c.chain);
  for (const r of removal.unhook) tx.deleteRule(r.table, r.chain, r.args);
  for (const c of removal.deleteChains) tx.deleteChain(c.table, c.chain);
  return tx;
}
