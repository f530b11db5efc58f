/** Steps shared by the real implementation and the fake, so both run the same logic. */
import { ProxierError } from '../../errors.ts';
import { IptablesTransaction } from './transaction.ts';
import type { Iptables, IptablesFamily, IptablesState, JumpRule, Table } from './types.ts';

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

/** ensureJumps for any implementation: one restore, resolved against a fresh save inside it. */
export async function ensureJumpsWith(iptables: Pick<Iptables, 'restore'>, family: IptablesFamily, jumps: readonly JumpRule[]): Promise<void> {
  const tx = new IptablesTransaction(family);
  for (const jump of jumps) tx.ensureJump(jump);
  await iptables.restore(family, tx);
}
