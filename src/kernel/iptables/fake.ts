/**
 * In-memory Iptables that enforces what iptables-restore --noflush enforces (checked against
 * iptables-legacy-restore 1.8.9 in the sandbox, same exit codes):
 * - each `*table ... COMMIT` is all-or-nothing; earlier committed tables stay when a later one fails;
 * - `-A/-I` into a missing chain fails (exit 1); a jump to a chain that does not exist, or a
 *   `--match-set` of a set that does not exist, fails (exit 2: the tool cannot load the target/set);
 * - `-X` of a missing, built-in, non-empty or still-referenced chain fails (exit 1);
 * - `-D` of a rule that is not there fails (exit 1);
 * - a set some rule matches cannot be destroyed (`referencesSet`, wired to the ipset fake: EBUSY).
 * Unlike the kernel it stores rule arguments verbatim: it does not canonicalize `--or-mark` into
 * `--set-xmark` or reorder `-p` after `-s/-d`. Transactions render canonical addresses already.
 */
import { CommandError } from '../../errors.ts';
import { ensureJumpsWith, renderForRestore } from './plan.ts';
import { EXTENSION_TARGETS, ruleSets, ruleTarget, tokenizeLine } from './text.ts';
import type { IptablesTransaction} from './transaction.ts';
import { sameArgs } from './transaction.ts';
import {
  BUILTIN_CHAINS, TABLES, isBuiltinChain, type ChainState, type Iptables,
  type IptablesFamily, type IptablesState, type JumpRule, type Table, type TableState,
} from './types.ts';
import { MAX_CHAIN_NAME } from './rule.ts';

export interface FakeIptablesOptions {
  /** Whether an ipset exists for this family; wire to the ipset fake. Default: no sets exist. */
  readonly setExists?: ((name: string, family: IptablesFamily) => boolean) | undefined;
}

interface Chain {
  policy: string | undefined;
  rules: string[][];
}
type TableData = Map<string, Chain>;

class RestoreFailure extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export class FakeIptables implements Iptables {
  /** Every text handed to (fake) iptables-restore, successful or not. */
  readonly restoreInputs: string[] = [];
  saveCount = 0;
  readonly #setExists: (name: string, family: IptablesFamily) => boolean;
  readonly #state = new Map<IptablesFamily, Map<Table, TableData>>([[4, emptyTables()], [6, emptyTables()]]);

  constructor(options: FakeIptablesOptions = {}) {
    this.#setExists = options.setExists ?? (() => false);
  }

  async restore(family: IptablesFamily, tx: IptablesTransaction): Promise<void> {
    const text = await renderForRestore((f, t) => this.save(f, t), family, tx);
    if (text !== '') this.applyRestoreText(family, text);
  }

  save(family: IptablesFamily, table?: Table): Promise<IptablesState> {
    this.saveCount++;
    const tables = new Map<Table, TableState>();
    for (const [name, data] of this.#tables(family)) {
      if (table === undefined || table === name) tables.set(name, snapshot(name, data));
    }
    return Promise.resolve({ tables });
  }

  ensureJumps(family: IptablesFamily, jumps: readonly JumpRule[]): Promise<void> {
    return ensureJumpsWith(this, family, jumps);
  }

  /**
   * Whether a rule of either family matches the set (`-m set --match-set NAME`). The kernel holds a
   * reference per such rule and refuses to destroy the set (EBUSY); wire this to the ipset fake.
   */
  referencesSet(name: string): boolean {
    for (const tables of this.#state.values()) {
      for (const data of tables.values()) {
        if ([...data.values()].some((chain) => chain.rules.some((rule) => ruleSets(rule).includes(name)))) return true;
      }
    }
    return false;
  }

  /** Runs restore text as `iptables-restore --noflush` would. Throws CommandError like the real tool. */
  applyRestoreText(family: IptablesFamily, text: string): void {
    this.restoreInputs.push(text);
    const tables = this.#tables(family);
    let current: { name: Table; data: TableData } | undefined;
    const lines = text.split('\n');
    try {
      for (let i = 0; i < lines.length; i++) {
        const line = (lines[i] ?? '').trim();
        if (line === '' || line.startsWith('#')) continue;
        try {
          current = this.#line(family, tables, current, line);
        } catch (err) {
          if (err instanceof RestoreFailure) throw new RestoreFailure(err.exitCode, `${err.message}\nError occurred at line: ${i + 1}`);
          throw err;
        }
      }
      if (current !== undefined) throw new RestoreFailure(1, `COMMIT expected at line ${lines.length + 1}`);
    } catch (err) {
      if (!(err instanceof RestoreFailure)) throw err;
      const command = `${family === 4 ? 'iptables' : 'ip6tables'}-restore`;
      throw new CommandError(
        { command, args: ['--noflush'], exitCode: err.exitCode, stderr: `${command}: ${err.message}\n` },
        { operation: 'iptables.restore', object: `IPv${family}` },
      );
    }
  }

  #tables(family: IptablesFamily): Map<Table, TableData> {
    const tables = this.#state.get(family);
    if (tables === undefined) throw new Error(`no IPv${family} state`);
    return tables;
  }

  #line(
    family: IptablesFamily, tables: Map<Table, TableData>, current: { name: Table; data: TableData } | undefined, line: string,
  ): { name: Table; data: TableData } | undefined {
    if (line.startsWith('*')) {
      if (current !== undefined) throw new RestoreFailure(1, `COMMIT expected before ${line}`);
      const name = line.slice(1) as Table;
      const data = tables.get(name);
      if (!TABLES.includes(name) || data === undefined) throw new RestoreFailure(2, `unable to initialize table '${name}'`);
      return { name, data: cloneTable(data) };
    }
    if (current === undefined) throw new RestoreFailure(2, `no table specified for: ${line}`);
    if (line === 'COMMIT') {
      tables.set(current.name, current.data);
      return undefined;
    }
    if (line.startsWith(':')) chainLine(current.name, current.data, line);
    else this.#command(family, current.name, current.data, line);
    return current;
  }

  #command(family: IptablesFamily, table: Table, data: TableData, line: string): void {
    const args = tokenizeLine(line);
    if (args === undefined) throw new RestoreFailure(2, 'unterminated quoted string');
    const [command, name, ...rest] = args;
    if (name === undefined) throw new RestoreFailure(2, `${command ?? ''} needs a chain`);
    const chain = data.get(name);
    switch (command) {
      case '-N':
        if (chain !== undefined) throw new RestoreFailure(1, `chain ${name} already exists`);
        data.set(validChainName(name), { policy: undefined, rules: [] });
        return;
      case '-P':
        setPolicy(table, data, name, rest);
        return;
      case '-F':
        requireChain(chain, name).rules = [];
        return;
      case '-X':
        deleteChain(table, data, name);
        return;
      case '-A':
        requireChain(chain, name);
        this.#checkRule(family, data, rest);
        requireChain(chain, name).rules.push(rest);
        return;
      case '-I':
        insertRule(requireChain(chain, name), rest, (rule) => this.#checkRule(family, data, rule));
        return;
      case '-D':
        deleteRule(requireChain(chain, name), name, rest);
        return;
      case undefined:
      default:
        throw new RestoreFailure(2, `unsupported command in restore input: ${command ?? ''}`);
    }
  }

  #checkRule(family: IptablesFamily, data: TableData, rule: readonly string[]): void {
    const target = ruleTarget(rule);
    if (target !== undefined && !EXTENSION_TARGETS.has(target)) {
      const chain = data.get(target);
      if (chain === undefined || chain.policy !== undefined) throw new RestoreFailure(2, `Couldn't load target \`${target}'`);
    }
    for (const set of ruleSets(rule)) {
      if (!this.#setExists(set, family)) throw new RestoreFailure(2, `Set ${set} doesn't exist.`);
    }
  }
}

function emptyTables(): Map<Table, TableData> {
  return new Map(TABLES.map((t) => [t, new Map(BUILTIN_CHAINS[t].map((c) => [c, { policy: 'ACCEPT', rules: [] }]))]));
}

function cloneTable(data: TableData): TableData {
  return new Map([...data].map(([name, c]) => [name, { policy: c.policy, rules: c.rules.map((r) => [...r]) }]));
}

/** iptables-save order: built-in chains in hook order, then user chains sorted by name. */
function snapshot(table: Table, data: TableData): TableState {
  const builtins = BUILTIN_CHAINS[table];
  const user = [...data.keys()].filter((c) => !builtins.includes(c)).sort();
  const chains = new Map<string, ChainState>();
  for (const name of [...builtins, ...user]) {
    const c = data.get(name);
    if (c === undefined) continue;
    chains.set(name, { name, builtin: c.policy !== undefined, policy: c.policy, rules: c.rules.map((r) => [...r]) });
  }
  return { chains };
}

function validChainName(name: string): string {
  if (name.length > MAX_CHAIN_NAME) throw new RestoreFailure(2, `Invalid chain name \`${name}' (${MAX_CHAIN_NAME} chars max)`);
  return name;
}

/** `:NAME POLICY [p:b]`: under --noflush flushes an existing user chain, creates a missing one, only sets a built-in's policy. */
function chainLine(table: Table, data: TableData, line: string): void {
  const m = /^:(\S+)\s+(\S+)(?:\s+\[\d+:\d+\])?$/.exec(line);
  if (m === null) throw new RestoreFailure(2, `malformed chain line: ${line}`);
  const [, name = '', policy = ''] = m;
  if (isBuiltinChain(table, name)) {
    const chain = data.get(name);
    if (chain !== undefined && policy !== '-') chain.policy = policy;
    return;
  }
  if (policy !== '-') throw new RestoreFailure(1, `Can't set policy \`${policy}' on \`${name}'`);
  data.set(validChainName(name), { policy: undefined, rules: [] });
}

function setPolicy(table: Table, data: TableData, name: string, rest: string[]): void {
  const chain = data.get(name);
  const [policy] = rest;
  if (chain === undefined || !isBuiltinChain(table, name) || (policy !== 'ACCEPT' && policy !== 'DROP')) {
    throw new RestoreFailure(1, `line failed: cannot set policy of ${name}`);
  }
  chain.policy = policy;
}

function requireChain(chain: Chain | undefined, name: string): Chain {
  if (chain === undefined) throw new RestoreFailure(1, `line failed: no chain ${name}`);
  return chain;
}

function insertRule(chain: Chain, args: string[], check: (rule: string[]) => void): void {
  let position = 1;
  let rule = args;
  if (args[0] !== undefined && /^[0-9]+$/.test(args[0])) {
    position = Number(args[0]);
    rule = args.slice(1);
  }
  if (position < 1 || position > chain.rules.length + 1) throw new RestoreFailure(1, 'line failed: index of insertion too big');
  check(rule);
  chain.rules.splice(position - 1, 0, rule);
}

function deleteRule(chain: Chain, name: string, args: string[]): void {
  const index = chain.rules.findIndex((r) => sameArgs(r, args));
  if (index < 0) throw new RestoreFailure(1, `line failed: no such rule in ${name}`);
  chain.rules.splice(index, 1);
}

function deleteChain(table: Table, data: TableData, name: string): void {
  const chain = data.get(name);
  if (chain === undefined || isBuiltinChain(table, name)) throw new RestoreFailure(1, `line failed: cannot delete chain ${name}`);
  if (chain.rules.length > 0) throw new RestoreFailure(1, `line failed: chain ${name} is not empty`);
  for (const [, other] of data) {
    if (other.rules.some((r) => ruleTarget(r) === name)) throw new RestoreFailure(1, `line failed: chain ${name} is still referenced`);
  }
  data.delete(name);
}
