/**
 * The default ipset backend: member changes over netlink, everything else through `ipset restore`.
 *
 * A transaction made only of add/del lines (what a partial sync writes when endpoints change) goes
 * to NetlinkIpsetMembers: one netlink batch, no process. One that starts with creates and then only
 * adds/dels (a cold sync: create the sets, fill them) runs the creates through one `ipset restore`
 * and the members over netlink (10k members: ~0.36 s instead of ~1.45 s through the tool). Any other
 * transaction (flush, swap, destroy: replaceMembers, stale-set cleanup) goes whole to RestoreIpset,
 * whose swap-based replaceMembers and measured failure semantics stay as they are. Reads use `ipset save`
 * (only full syncs read, so they are not on the per-change path).
 *
 * Errors: ValidationError before anything runs (both paths); IpsetNetlinkError (exact: only the
 * listed operations failed) for the netlink path; IpsetRestoreError for the restore path. Both
 * carry the failing operation, its set and member, and the errno as KernelError/CommandError do.
 */
import { IpsetTransaction } from './transaction.ts';
import type { MemberOperation } from './netlink.ts';
import type { Ipset, IpsetOperation, IpsetSetState } from './types.ts';

/**
 * Where member add/del go: NetlinkIpsetMembers on a node, FakeIpset's `memberPath()` in tests.
 * Each operation is applied on its own; failures come back together as an IpsetNetlinkError.
 */
export interface IpsetMemberPath {
  apply(operations: readonly MemberOperation[]): Promise<void>;
  close(): void;
}

export class HybridIpset implements Ipset {
  readonly #restore: Ipset;
  readonly #members: IpsetMemberPath;

  constructor(restore: Ipset, members: IpsetMemberPath) {
    this.#restore = restore;
    this.#members = members;
  }

  async apply(tx: IpsetTransaction): Promise<void> {
    // render() throws the transaction's first ValidationError before anything is sent.
    tx.render();
    const ops = tx.operations;
    const creates = leadingCreates(ops);
    const rest = ops.slice(creates.length);
    if (ops.length === 0 || !rest.every(isMemberOperation)) {
      await this.#restore.apply(tx);
      return;
    }
    if (creates.length > 0) {
      const createTx = new IpsetTransaction({ exist: tx.exist });
      for (const op of creates) createTx.create(op.spec);
      await this.#restore.apply(createTx);
    }
    if (rest.length > 0) await this.#members.apply(rest);
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

type CreateOperation = Extract<IpsetOperation, { op: 'create' }>;

function leadingCreates(ops: readonly IpsetOperation[]): CreateOperation[] {
  const out: CreateOperation[] = [];
  for (const op of ops) {
    if (op.op !== 'create') break;
    out.push(op);
  }
  return out;
}

export function isMemberOperation(op: IpsetOperation): op is MemberOperation {
  return op.op === 'add' || op.op === 'del';
}
