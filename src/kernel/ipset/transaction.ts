/**
 * An `ipset restore` transaction in the style of sigs.k8s.io/knftables: building never throws (each
 * invalid call records a ValidationError and adds nothing), `render()` produces the restore text,
 * and `Ipset.apply()` runs it in one process. One operation is exactly one line, so line N of the
 * rendered text is `operations[N - 1]`; errors.ts relies on that to name the failing operation.
 *
 * `-exist` (the default, `{ exist: true }`) is what upstream kube-proxy uses for create, add and del
 * (pkg/util/ipset: CreateSet/AddEntry/DelEntry with ignoreExistErr): sets and entries left by an
 * earlier run, or by a restore that failed half-way (ipset restore is not atomic, see errors.ts),
 * must not fail the next sync, so re-applying the same transaction is idempotent. destroy -exist
 * tolerates a set that is already gone. flush and swap have no -exist form that helps (flush of a
 * missing set fails even with -exist: measured).
 *
 * The flag is per transaction, never per line: ipset aggregates consecutive add (or del) lines on
 * one set into one netlink message and sends them with the FIRST line's flags, so a line without
 * -exist after one with it silently gets -exist, and the reverse fails (measured, ipset 7.17).
 */
import { ValidationError } from '../../errors.ts';
import { canonicalMember } from './members.ts';
import { parseSetName, renderCreate, tmpSetName, validateSetSpec } from './spec.ts';
import type { IpsetMember, IpsetOperation, SetSpec, ValidSetSpec } from './types.ts';

const OPERATION = 'ipset transaction';

export interface IpsetTransactionOptions {
  /** Render -exist on create/add/del/destroy (default true, upstream's semantics). */
  readonly exist?: boolean;
}

type SetRef = SetSpec | string;

export class IpsetTransaction {
  readonly exist: boolean;
  readonly #operations: IpsetOperation[] = [];
  readonly #errors: ValidationError[] = [];
  /** Specs seen in this transaction, so add/del/flush may name a set created earlier by name. */
  readonly #specs = new Map<string, ValidSetSpec>();

  constructor(options: IpsetTransactionOptions = {}) {
    this.exist = options.exist ?? true;
  }

  get operations(): readonly IpsetOperation[] {
    return this.#operations;
  }

  get errors(): readonly ValidationError[] {
    return this.#errors;
  }

  get size(): number {
    return this.#operations.length;
  }

  create(spec: SetSpec): this {
    this.#record(() => {
      const valid = this.#remember(spec);
      return [{ op: 'create', spec: valid, exist: this.exist }];
    });
    return this;
  }

  /** `set` is a spec, or the name of a set this transaction already created or referenced by spec. */
  add(set: SetRef, member: IpsetMember): this {
    this.#record(() => {
      const spec = this.#resolve(set, 'add');
      return [{ op: 'add', set: spec.name, member: canonicalMember(spec, member, OPERATION), exist: this.exist }];
    });
    return this;
  }

  del(set: SetRef, member: IpsetMember): this {
    this.#record(() => {
      const spec = this.#resolve(set, 'del');
      return [{ op: 'del', set: spec.name, member: canonicalMember(spec, member, OPERATION), exist: this.exist }];
    });
    return this;
  }

  flush(set: SetRef): this {
    this.#record(() => [{ op: 'flush', set: this.#name(set) }]);
    return this;
  }

  /** Exchanges the contents of two sets of the same type and family (iptables references stay by name). */
  swap(set: SetRef, other: SetRef): this {
    this.#record(() => [{ op: 'swap', set: this.#name(set), other: this.#name(other) }]);
    return this;
  }

  destroy(set: SetRef): this {
    this.#record(() => [{ op: 'destroy', set: this.#name(set), exist: this.exist }]);
    return this;
  }

  /**
   * Makes `spec`'s members exactly `members`, atomically for packets: the set is ensured, a temporary
   * set of the same type is filled and swapped in, and the temporary set (now holding the old
   * members) is destroyed. Matching iptables rules never see a half-filled set. All-or-nothing while
   * building: one invalid member records its error and adds none of these lines.
   */
  replaceMembers(spec: SetSpec, members: Iterable<IpsetMember>): this {
    this.#record(() => {
      const valid = this.#remember(spec);
      const tmp: ValidSetSpec = { ...valid, name: tmpSetName(valid.name), comment: undefined };
      const unique = new Set<string>();
      for (const member of members) unique.add(canonicalMember(valid, member, OPERATION));
      // Both creates carry -exist whatever the mode: the target normally exists, and a temporary set
      // left by a crash is reused after the flush. Creates are never aggregated, so this is safe.
      const ops: IpsetOperation[] = [
        { op: 'create', spec: valid, exist: true },
        { op: 'create', spec: tmp, exist: true },
        { op: 'flush', set: tmp.name },
      ];
      for (const member of unique) ops.push({ op: 'add', set: tmp.name, member, exist: this.exist });
      ops.push({ op: 'swap', set: tmp.name, other: valid.name }, { op: 'destroy', set: tmp.name, exist: this.exist });
      return ops;
    });
    return this;
  }

  /** The restore text. Throws the first recorded ValidationError; `errors` lists all of them. */
  render(): string {
    const first = this.#errors[0];
    if (first !== undefined) throw first;
    return this.#operations.map((op) => `${renderOperation(op)}\n`).join('');
  }

  #record(build: () => IpsetOperation[]): void {
    try {
      this.#operations.push(...build());
    } catch (err) {
      // Only validation failures are recorded; anything else is a bug and must surface.
      if (err instanceof ValidationError) this.#errors.push(err);
      else throw err;
    }
  }

  #remember(spec: SetSpec): ValidSetSpec {
    const valid = validateSetSpec(spec, OPERATION);
    this.#specs.set(valid.name, valid);
    return valid;
  }

  #resolve(set: SetRef, what: string): ValidSetSpec {
    if (typeof set !== 'string') return this.#remember(set);
    const name = parseSetName(set, { operation: OPERATION, object: `${what} target` });
    const known = this.#specs.get(name);
    if (known !== undefined) return known;
    // The member cannot be validated without the set's type and family.
    throw new ValidationError('set', name, 'type unknown to this transaction: pass its SetSpec', { operation: OPERATION, object: `set ${name}` });
  }

  #name(set: SetRef): string {
    return typeof set === 'string' ? parseSetName(set, { operation: OPERATION, object: 'set' }) : this.#remember(set).name;
  }
}

export function renderOperation(op: IpsetOperation): string {
  switch (op.op) {
    case 'create':
      return `${renderCreate(op.spec)}${op.exist ? ' -exist' : ''}`;
    case 'add':
    case 'del':
      return `${op.op} ${op.set} ${op.member}${op.exist ? ' -exist' : ''}`;
    case 'flush':
      return `flush ${op.set}`;
    case 'swap':
      return `swap ${op.set} ${op.other}`;
    case 'destroy':
      return `destroy ${op.set}${op.exist ? ' -exist' : ''}`;
  }
}
