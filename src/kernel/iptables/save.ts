/** Reading the kernel's rules: `iptables-save` (no lock needed: it only reads) and its parser. */
import type { CommandRunner } from '../exec/exec.ts';
import { IptablesParseError } from './errors.ts';
import { tokenizeLine } from './text.ts';
import { TABLES, type ChainState, type IptablesState, type Table, type TableState } from './types.ts';

interface MutableChain {
  name: string;
  builtin: boolean;
  policy: string | undefined;
  rules: string[][];
}

/**
 * Parses `iptables-save`/`ip6tables-save` output (legacy and nft print the same format).
 * Comment lines and counters are ignored; tables outside nat/filter/mangle/raw (security) are
 * skipped. Rules keep their arguments as iptables-restore would tokenize them.
 */
export function parseIptablesSave(text: string): IptablesState {
  const tables = new Map<Table, TableState>();
  let table: { name: string; chains: Map<string, MutableChain> } | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    const n = i + 1;
    if (line === '' || line.startsWith('#')) continue;
    if (table === undefined) {
      if (!line.startsWith('*')) throw new IptablesParseError(n, line, 'expected *table');
      table = { name: line.slice(1), chains: new Map() };
    } else if (line === 'COMMIT') {
      if ((TABLES as readonly string[]).includes(table.name)) tables.set(table.name as Table, freeze(table.chains));
      table = undefined;
    } else if (line.startsWith(':')) {
      const chain = parseChainLine(n, line);
      table.chains.set(chain.name, chain);
    } else {
      parseRuleLine(n, line, table.chains);
    }
  }
  if (table !== undefined) throw new IptablesParseError(lines.length, '', `table ${table.name} has no COMMIT`);
  return { tables };
}

function parseChainLine(n: number, line: string): MutableChain {
  const m = /^:(\S+) (\S+)(?: \[\d+:\d+\])?$/.exec(line);
  if (m === null) throw new IptablesParseError(n, line, 'malformed chain line');
  const [, name = '', policy = ''] = m;
  const builtin = policy !== '-';
  return { name, builtin, policy: builtin ? policy : undefined, rules: [] };
}

function parseRuleLine(n: number, line: string, chains: Map<string, MutableChain>): void {
  const args = tokenizeLine(line);
  if (args === undefined) throw new IptablesParseError(n, line, 'unterminated quote');
  // `iptables-save -c` prefixes rules with [packets:bytes]; drop it.
  if (args[0] !== undefined && /^\[\d+:\d+\]$/.test(args[0])) args.shift();
  const [command, name, ...rule] = args;
  if (command !== '-A' || name === undefined) throw new IptablesParseError(n, line, 'expected -A CHAIN');
  const chain = chains.get(name);
  if (chain === undefined) throw new IptablesParseError(n, line, `rule for undeclared chain ${name}`);
  chain.rules.push(rule);
}

function freeze(chains: Map<string, MutableChain>): TableState {
  const out = new Map<string, ChainState>();
  for (const [name, c] of chains) out.set(name, { name, builtin: c.builtin, policy: c.policy, rules: c.rules });
  return { chains: out };
}

export async function runSave(
  runner: CommandRunner, command: string, family: number, table?: Table,
): Promise<IptablesState> {
  const args = table === undefined ? [] : ['-t', table];
  const { stdout } = await runner.run(command, args, {
    operation: 'iptables.save',
    object: `IPv${family}${table === undefined ? '' : ` table ${table}`}`,
  });
  return parseIptablesSave(stdout);
}
