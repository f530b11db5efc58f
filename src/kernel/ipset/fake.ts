/**
 * In-memory ipset with the kernel's rules (diagnose.ts) and the measured partial-application
 * semantics of `ipset restore` (errors.ts): lines run in order, the first failing line stops the
 * restore, lines before it stay applied, and a line the tool refuses also discards the add/del run
 * buffered before it. (The real tool may already have sent whole ~4 KiB messages of that run; the
 * fake discards all of it, which IpsetRestoreError.appliedCount already tells callers to expect.)
 */
import { Errno, KernelError } from '../../errors.ts';
import { pendingRunStart, verdict } from './diagnose.ts';
import { IpsetRestoreError, describeOperation } from './errors.ts';
import type { IpsetMemberPath } from './hybrid.ts';
import { IpsetNetlinkError, type IpsetMemberFailure } from './netlink-error.ts';
import { compare } from './save.ts';
import { parseSetName } from './spec.ts';
import { renderOperation, type IpsetTransaction } from './transaction.ts';
import type { Ipset, IpsetOperation, IpsetSetState } from './types.ts';

interface FakeSet {
  header: Omit<IpsetSetState, 'name' | 'members'>;
  members: Set<string>;
}

type Sets = Map<string, FakeSet>;

export class FakeIpset implements Ipset {
  #sets: Sets = new Map();
  readonly #referenced = new Set<string>();
  #referencedByRules: (name: string) => boolean = () => false;
  /** Every restore text applied, in order: one entry per `ipset restore` process the real one runs. */
  readonly restores: string[] = [];

  /**
   * Models an iptables rule using the set (`-m set --match-set NAME`): a referenced set cannot be
   * destroyed (EBUSY). Like iptables, a reference to a missing set is refused (ENOENT). The flag
   * stays with the NAME across swaps, as the kernel's reference count does.
   */
  setReferenced(name: string, referenced: boolean): void {
    if (referenced && !this.#sets.has(name)) {
      throw new KernelError(Errno.ENOENT, { operation: 'ipset reference', object: `set ${name}` });
    }
    if (referenced) this.#referenced.add(name);
    else this.#referenced.delete(name);
  }

  /**
   * Where iptables rules live (the iptables fake's `referencesSet`): a set some rule matches is
   * referenced exactly as with `setReferenced`, for as long as the rule exists.
   */
  useRuleReferences(referencedByRules: (name: string) => boolean): void {
    this.#referencedByRules = referencedByRules;
  }

  /** Synchronous existence check, for wiring the iptables fake's `-m set` reference checks. */
  hasSet(name: string): boolean {
    return this.#sets.has(name);
  }

  /**
   * The netlink member path (HybridIpset's default on a node): every add/del is applied on its
   * own, a refused one neither undoes earlier ones nor stops later ones, and the refusals come
   * back together as an IpsetNetlinkError, as NetlinkIpsetMembers reports them.
   */
  memberPath(): IpsetMemberPath {
    return {
      apply: (ops) => new Promise<void>((resolve) => {
        const failures: IpsetMemberFailure[] = [];
        for (const [index, op] of ops.entries()) {
          const found = verdict(op, (name) => this.#state(this.#sets, name), (name) => this.#isReferenced(name));
          if (found === undefined) {
            execute(this.#sets, op);
            continue;
          }
          const error = new KernelError(found.errno, { operation: `ipset netlink: ${op.op}`, object: describeOperation(op) }, found.reason);
          failures.push({ index, operation: op, error, reason: found.reason });
        }
        const [first] = failures;
        if (first !== undefined) throw new IpsetNetlinkError(first, failures, ops.length);
        resolve();
      }),
      close: () => undefined,
    };
  }

  apply(tx: IpsetTransaction): Promise<void> {
    // A throw inside the executor rejects the promise, as the real apply() would.
    return new Promise((resolve) => {
      const text = tx.render();
      if (tx.size > 0) {
        this.restores.push(text);
        this.#run(tx.operations);
      }
      resolve();
    });
  }

  list(): Promise<IpsetSetState[]> {
    const names = [...this.#sets.keys()].sort(compare);
    return Promise.resolve(names.map((name) => this.#state(this.#sets, name)).filter((s) => s !== undefined));
  }

  listNames(): Promise<string[]> {
    return Promise.resolve([...this.#sets.keys()].sort());
  }

  listMembers(name: string): Promise<string[]> {
    const set = this.#sets.get(parseSetName(name, { operation: 'ipset save', object: 'set' }));
    if (set === undefined) return Promise.reject(new KernelError(Errno.ENOENT, { operation: 'ipset save', object: `set ${name}` }));
    return Promise.resolve([...set.members].sort(compare));
  }

  #run(ops: readonly IpsetOperation[]): void {
    const working = clone(this.#sets);
    for (const [index, op] of ops.entries()) {
      const found = verdict(op, (name) => this.#state(working, name), (name) => this.#isReferenced(name));
      if (found !== undefined) {
        const appliedCount = found.stage === 'kernel' ? index : pendingRunStart(ops, index);
        const partial = clone(this.#sets);
        for (const done of ops.slice(0, appliedCount)) execute(partial, done);
        this.#sets = partial;
        throw new IpsetRestoreError({
          stderr: `ipset v7.17: Error in line ${index + 1}: ${found.reason} (fake: ${renderOperation(op)})\n`,
          exitCode: 1,
          line: index + 1,
          failed: op,
          appliedCount,
          errno: found.errno,
          reason: found.reason,
        });
      }
      execute(working, op);
    }
    this.#sets = working;
  }

  #isReferenced(name: string): boolean {
    return this.#referenced.has(name) || this.#referencedByRules(name);
  }

  #state(sets: Sets, name: string): IpsetSetState | undefined {
    const set = sets.get(name);
    return set === undefined ? undefined : { name, ...set.header, members: [...set.members].sort(compare) };
  }
}

/** Applies one operation that verdict() accepted. */
function execute(sets: Sets, op: IpsetOperation): void {
  switch (op.op) {
    case 'create':
      // create -exist of a compatible set keeps the existing one (and its members, and its family).
      if (!sets.has(op.spec.name)) {
        const { spec } = op;
        const family = spec.type === 'bitmap:port' ? undefined : spec.family;
        sets.set(spec.name, {
          header: { type: spec.type, family, hashsize: spec.hashsize, maxelem: spec.maxelem, range: spec.range, comment: false },
          members: new Set(),
        });
      }
      return;
    case 'add':
      sets.get(op.set)?.members.add(op.member);
      return;
    case 'del':
      sets.get(op.set)?.members.delete(op.member);
      return;
    case 'flush':
      sets.get(op.set)?.members.clear();
      return;
    case 'swap': {
      const a = sets.get(op.set);
      const b = sets.get(op.other);
      if (a !== undefined && b !== undefined) {
        sets.set(op.set, b);
        sets.set(op.other, a);
      }
      return;
    }
    case 'destroy':
      sets.delete(op.set);
      return;
  }
}

function clone(sets: Sets): Sets {
  return new Map([...sets].map(([name, set]) => [name, { header: { ...set.header }, members: new Set(set.members) }]));
}
