/**
 * A batch of iptables changes in the style of sigs.k8s.io/knftables: building it never throws (each
 * invalid value is recorded as a ValidationError), it renders to iptables-restore text, and the
 * Iptables implementation applies it with one `iptables-restore --noflush`.
 *
 * Under --noflush a `:CHAIN - [0:0]` line creates the chain or flushes exactly that chain, which is
 * how upstream rewrites its own chains whole while leaving foreign chains and built-in chains alone.
 */
import { ProxierError, ValidationError } from '../../errors.ts';
import type { Ctx } from '../../validate/validate.ts';
import { IptablesTransactionError, UnknownChainError } from './errors.ts';
import { EXTENSION_TARGETS, renderArgs, ruleTarget } from './text.ts';
import {
  isBuiltinChain, TABLES, type IptablesFamily, type IptablesState, type JumpRule, type Table,
} from './types.ts';
import { parseChainName, parseRuleArgs, parseTable, jumpArgs } from './rule.ts';

interface RuleLine {
  readonly command: '-A' | '-D';
  readonly chain: string;
  readonly args: readonly string[];
}

interface TableOps {
  readonly declared: Set<string>;
  readonly deleted: Set<string>;
  readonly rules: RuleLine[];
  readonly jumps: JumpRule[];
}

export interface RenderOptions {
  /** A fresh save: needed for ensured jumps and for references to chains this transaction does not declare. */
  readonly existing?: IptablesState | undefined;
}

const OPERATION = 'iptables.transaction';

export class IptablesTransaction {
  readonly family: IptablesFamily;
  readonly #tables = new Map<Table, TableOps>();
  readonly #errors: ProxierError[] = [];

  constructor(family: IptablesFamily) {
    this.family = family;
  }

  /** Errors recorded while building; `render` throws them all as one IptablesTransactionError. */
  get errors(): readonly ProxierError[] {
    return this.#errors;
  }

  /** Creates the chain, or flushes it when it exists (rewritten whole on each sync). */
  declareChain(table: Table, chain: string): this {
    this.#record(() => {
      const ops = this.#ops(table);
      const name = this.#userChain(table, chain, 'declare');
      if (ops.deleted.has(name)) throw this.#conflict(table, name);
      ops.declared.add(name);
    });
    return this;
  }

  /** `-A CHAIN args...` into a chain declared in this transaction. */
  appendRule(table: Table, chain: string, args: readonly string[]): this {
    this.#record(() => {
      const ops = this.#ops(table);
      const name = parseChainName(chain, ctxOf(table, chain));
      // Only declared chains are flushed by this restore; appending anywhere else under --noflush
      // would add one more copy of the rule on every sync.
      if (!ops.declared.has(name)) {
        throw new ValidationError('chain', chain, 'rules can only be appended to chains declared in this transaction', ctxOf(table, chain));
      }
      ops.rules.push({ command: '-A', chain: name, args: parseRuleArgs(args, this.family, ctxOf(table, chain)) });
    });
    return this;
  }

  /**
   * `-D CHAIN args...`: deletes the first rule with exactly these arguments (as iptables-save
   * prints them). Used to remove references before deleting a chain.
   */
  deleteRule(table: Table, chain: string, args: readonly string[]): this {
    this.#record(() => {
      const ops = this.#ops(table);
      const name = parseChainName(chain, ctxOf(table, chain));
      ops.rules.push({ command: '-D', chain: name, args: parseRuleArgs(args, this.family, ctxOf(table, chain), { lenient: true }) });
    });
    return this;
  }

  /** Flushes then deletes (`-X`) a chain; references from other chains must be gone by then. */
  deleteChain(table: Table, chain: string): this {
    this.#record(() => {
      const ops = this.#ops(table);
      const name = this.#userChain(table, chain, 'delete');
      if (ops.declared.has(name)) throw this.#conflict(table, name);
      ops.deleted.add(name);
    });
    return this;
  }

  /** Makes a jump from a built-in chain exist exactly once; resolved against a fresh save at render time. */
  ensureJump(jump: JumpRule): this {
    this.#record(() => {
      const ops = this.#ops(jump.table);
      const ctx = ctxOf(jump.table, jump.chain);
      if (!isBuiltinChain(jump.table, jump.chain)) {
        throw new ValidationError('chain', jump.chain, `jumps are ensured from built-in chains of table ${jump.table}`, ctx);
      }
      const target = this.#userChain(jump.table, jump.target, 'jump to');
      // Validates the comment the same way as in any rule.
      parseRuleArgs(jumpArgs(jump), this.family, ctx);
      ops.jumps.push({ ...jump, target, position: jump.position ?? 'prepend' });
    });
    return this;
  }

  /** True when rendering needs a fresh save (ensured jumps, or jumps to chains not declared here). */
  needsState(): boolean {
    for (const [, ops] of this.#tables) {
      if (ops.jumps.length > 0) return true;
      if (ops.rules.some((r) => r.command === '-A' && this.#refersOutside(ops, ruleTarget(r.args)))) return true;
    }
    return false;
  }

  /** Tables this transaction touches. */
  tables(): Table[] {
    return TABLES.filter((t) => this.#tables.has(t));
  }

  /** iptables-restore input, one `*table ... COMMIT` per touched table; '' when there is nothing to do. */
  render(options: RenderOptions = {}): string {
    if (this.#errors.length > 0) throw new IptablesTransactionError(this.#errors, OPERATION);
    const hasJumps = [...this.#tables.values()].some((ops) => ops.jumps.length > 0);
    if (hasJumps && options.existing === undefined) {
      throw new ProxierError('ERR_IPTABLES_STATE_REQUIRED', `${OPERATION}: ensured jumps need a fresh iptables-save`, { operation: OPERATION });
    }
    const unknown = this.#unknownReferences(options.existing);
    if (unknown.length > 0) throw new IptablesTransactionError(unknown, OPERATION);
    let out = '';
    for (const table of TABLES) {
      const ops = this.#tables.get(table);
      if (ops !== undefined) out += renderTable(table, ops, options.existing);
    }
    return out;
  }

  #ops(table: Table): TableOps {
    const name = parseTable(table, { operation: OPERATION });
    let ops = this.#tables.get(name);
    if (ops === undefined) {
      ops = { declared: new Set(), deleted: new Set(), rules: [], jumps: [] };
      this.#tables.set(name, ops);
    }
    return ops;
  }

  #userChain(table: Table, chain: string, what: string): string {
    const name = parseChainName(chain, ctxOf(table, chain));
    if (isBuiltinChain(table, name)) {
      throw new ValidationError('chain', chain, `cannot ${what} a built-in chain`, ctxOf(table, chain));
    }
    return name;
  }

  #conflict(table: Table, chain: string): ValidationError {
    return new ValidationError('chain', chain, 'declared and deleted in the same transaction', ctxOf(table, chain));
  }

  #record(build: () => void): void {
    try {
      build();
    } catch (err) {
      if (!(err instanceof ProxierError)) throw err;
      this.#errors.push(err);
    }
  }

  #refersOutside(ops: TableOps, target: string | undefined): boolean {
    return target !== undefined && !EXTENSION_TARGETS.has(target) && !ops.declared.has(target);
  }

  #unknownReferences(existing: IptablesState | undefined): ProxierError[] {
    const errors: ProxierError[] = [];
    for (const [table, ops] of this.#tables) {
      const exists = (chain: string): boolean => {
        if (ops.deleted.has(chain)) return false;
        if (ops.declared.has(chain)) return true;
        const found = existing?.tables.get(table)?.chains.get(chain);
        return found !== undefined && !found.builtin;
      };
      for (const rule of ops.rules) {
        const target = rule.command === '-A' ? ruleTarget(rule.args) : undefined;
        if (target !== undefined && !EXTENSION_TARGETS.has(target) && !exists(target)) {
          errors.push(new UnknownChainError(table, target, OPERATION, `a rule in ${table}/${rule.chain}`));
        }
      }
      for (const jump of ops.jumps) {
        if (!exists(jump.target)) errors.push(new UnknownChainError(table, jump.target, OPERATION, `the jump from ${table}/${jump.chain}`));
      }
    }
    return errors;
  }
}

function ctxOf(table: string, chain: string): Ctx {
  return { operation: OPERATION, object: `${table}/${chain}` };
}

function renderTable(table: Table, ops: TableOps, existing: IptablesState | undefined): string {
  const lines: string[] = [];
  for (const chain of [...ops.declared, ...ops.deleted]) lines.push(`:${chain} - [0:0]`);
  for (const rule of ops.rules) lines.push(`${rule.command} ${rule.chain} ${renderArgs(rule.args)}`);
  for (const jump of ops.jumps) lines.push(...renderJump(table, jump, existing));
  for (const chain of ops.deleted) lines.push(`-X ${chain}`);
  if (lines.length === 0) return '';
  return `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
}

/** Inserts the jump when a fresh save lacks it; deletes extra copies (left by an older crash or another tool). */
function renderJump(table: Table, jump: JumpRule, existing: IptablesState | undefined): string[] {
  const args = jumpArgs(jump);
  const rules = existing?.tables.get(table)?.chains.get(jump.chain)?.rules ?? [];
  const copies = rules.filter((rule) => sameArgs(rule, args)).length;
  const text = `${jump.chain} ${renderArgs(args)}`;
  if (copies === 0) return [`${jump.position === 'append' ? '-A' : '-I'} ${text}`];
  return Array.from({ length: copies - 1 }, () => `-D ${text}`);
}

export function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}
