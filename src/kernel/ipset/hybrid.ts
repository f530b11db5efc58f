/**
 * The default ipset backend: member changes over netlink, everything else through `ipset restore`.
 *
 * A transaction made only of add/del lines (what a partial sync writes when endpoints change) goes
 * to NetlinkIpsetMembers: one netlink batch, no process. Any transaction with a create, flush,
 * swap or destroy (cold and full syncs, replaceMembers, cleanup) goes whole to RestoreIpset, whose
 * swap-based replaceMembers and measured failure semantics stay as they are. Reads use `ipset save`
 * (only full syncs read, so they are not on the per-change path).
 *
 * Errors: ValidationError before anything runs (both paths); IpsetNetlinkError (exact: only the
 * listed operations failed) for the netlink path; IpsetRestoreError for the restore path. Both
 * carry the failing operation, its set and member, and the errno as KernelError/CommandError do.
 */
import type { IpsetTransaction } from './transaction.ts';
import type { NetlinkIpsetMembers, MemberOperation } from './netlink.ts';
import type { Ipset, IpsetOperation, IpsetSetState } from './types.ts';

export class HybridIpset implements Ipset {
  readonly #restore: Ipset;
  readonly #members: NetlinkIpsetMembers;

  constructor(restore: Ipset, members: NetlinkIpsetMembers) {
    this.#restore = restore;
    this.#members = members;
  }

  async apply(tx: IpsetTransaction): Promise<void> {
    // render() throws the transaction's first ValidationError before anything is sent.
    tx.render();
    const ops = tx.operations;
    if (ops.length > 0 && ops.every(isMemberOperation)) await this.#members.apply(ops);
    else await this.#restore.apply(tx);
  }

  list(): Promise<IpsetSetState[]> {
    return this.#restore.list();
  }

  listNames(): Promise<string[]> {
    return this.#restore.listNames();
  }

  listMembers(name: string): Promise<string[]> {
    return this.#restore.listMembers(name);
  }

  close(): void {
    this.#members.close();
  }
}

export function isMemberOperation(op: IpsetOperation): op is MemberOperation {
  return op.op === 'add' || op.op === 'del';
}
