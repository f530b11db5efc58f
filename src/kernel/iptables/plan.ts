/** Steps shared by the real implementation and the fake, so both run the same logic. */
import { ProxierError } from '../../errors.ts';
import { ruleTarget } from './text.ts';
import { IptablesTransaction } from './transaction.ts';
import type { ChainRef, Iptables, IptablesFamily, IptablesState, JumpRule, Table } from './types.ts';

type Save = (family: IptablesFamily, table?: Table) => Promise<IptablesState>;

/** Renders a transaction, taking a fresh save first only when the transaction needs one. */
export async function renderForRestore(save: Save, family: IptablesFamily, tx: IptablesTransaction): Promise<string> {
  if (tx.family !== family) {
    throw new ProxierError('ERR_IPTABLES_FAMILY', `iptables.restore: an IPv${tx.family} transaction applied to IPv${family}`, {
      operation: 'iptables.restore',
      object: `IPv${family}`,
    });
  }
  if (!tx.needsState()) return tx.render();
  const tables = tx.tables();
  const existing = await save(family, tables.length === 1 ? tables[0] : undefined);
  return tx.render({ existing });
}

/**
 * Cleanup of our chains in one restore: `-D` every rule elsewhere that jumps to them (built-in
 * chain jumps included), flush them, then `-X` them. Chains that do not exist are skipped, so
 * cleanup is idempotent.
 */
export function deleteChainsTransaction(
  family: IptablesFamily, state: IptablesState, chains: readonly ChainRef[],
): IptablesTransaction {
  const tx = new IptablesTransaction(family);
  const byTable = new Map<Table, Set<string>>();
  for (const { table, chain } of chains) {
    const found = state.tables.get(table)?.chains.get(chain);
    if (found === undefined) continue;
    const set = byTable.get(table) ?? new Set<string>();
    set.add(chain);
    byTable.set(table, set);
  }
  for (const [table, doomed] of byTable) {
    for (const [name, chain] of state.tables.get(table)?.chains ?? []) {
      if (doomed.has(name)) continue;
      for (const rule of chain.rules) {
        const target = ruleTarget(rule);
        if (target !== undefined && doomed.has(target)) tx.deleteRule(table, name, rule);
      }
    }
    for (const chain of doomed) tx.deleteChain(table, chain);
  }
  return tx;
}

/** ensureJumps for any implementation: one restore, resolved against a fresh save inside it. */
export async function ensureJumpsWith(iptables: Pick<Iptables, 'restore'>, family: IptablesFamily, jumps: readonly JumpRule[]): Promise<void> {
  const tx = new IptablesTransaction(family);
  for (const jump of jumps) tx.ensureJump(jump);
  await iptables.restore(family, tx);
}

/** deleteChains for any implementation: a save, then one restore that unhooks, flushes and deletes. */
export async function deleteChainsWith(iptables: Pick<Iptables, 'save' | 'restore'>, family: IptablesFamily, chains: readonly ChainRef[]): Promise<void> {
  const state = await iptables.save(family);
  await iptables.restore(family, deleteChainsTransaction(family, state, chains));
}
