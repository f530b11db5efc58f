/**
 * The iptables subsystem's narrow interface. kube-proxy's IPVS mode keeps its own chains in the nat
 * and filter tables, rewrites them whole with `iptables-restore --noflush` on every sync, and jumps
 * to them from the built-in chains. Real implementation: the iptables tools (legacy or nft backend);
 * FakeIptables enforces what iptables-restore enforces.
 */
import type { IptablesTransaction } from './transaction.ts';

export type IptablesFamily = 4 | 6;
export type Table = 'nat' | 'filter' | 'mangle' | 'raw';
/** Which binaries: `iptables-legacy-*` or `iptables-nft-*` (and the `ip6tables-*` ones). */
export type IptablesBackend = 'legacy' | 'nft';

/** Render order of tables in a restore file. iptables-restore commits each table on its own. */
export const TABLES: readonly Table[] = ['filter', 'nat', 'mangle', 'raw'];

/** Built-in chains per table (net/ipv4/netfilter/iptable_*.c valid_hooks). */
export const BUILTIN_CHAINS: Readonly<Record<Table, readonly string[]>> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

export function isBuiltinChain(table: Table, chain: string): boolean {
  return BUILTIN_CHAINS[table].includes(chain);
}

export interface ChainState {
  readonly name: string;
  readonly builtin: boolean;
  /** ACCEPT/DROP for built-in chains; undefined for user chains (`-` in iptables-save). */
  readonly policy: string | undefined;
  /** Each rule's arguments after `-A CHAIN`, tokenized as iptables-restore does (quotes removed). */
  readonly rules: readonly (readonly string[])[];
}

export interface TableState {
  /** In iptables-save order: built-in chains first, then user chains sorted by name. */
  readonly chains: ReadonlyMap<string, ChainState>;
}

/** Parsed `iptables-save` output. Counters are ignored. Only tables the kernel has loaded appear. */
export interface IptablesState {
  readonly tables: ReadonlyMap<Table, TableState>;
}

/**
 * A rule in a built-in chain that jumps to one of our chains:
 * `-m comment --comment COMMENT -j TARGET`, exactly as iptables-save prints it, so a fresh save can
 * tell whether it exists. Upstream prepends (`iptables -I`), so our chains run before foreign rules.
 */
export interface JumpRule {
  readonly table: Table;
  /** A built-in chain of `table`. */
  readonly chain: string;
  /** One of our chains. */
  readonly target: string;
  readonly comment?: string | undefined;
  /** Default `prepend` (upstream EnsureRule(Prepend, ...)). */
  readonly position?: 'prepend' | 'append' | undefined;
}

export interface ChainRef {
  readonly table: Table;
  readonly chain: string;
}

export interface Iptables {
  /**
   * Applies a transaction with ONE `iptables-restore --noflush` run. The tool commits each
   * `*table ... COMMIT` section all-or-nothing; an earlier table stays committed when a later one
   * fails. Invalid transactions are rejected before any process runs. When the transaction needs
   * to know what exists (ensured jumps, references to chains it does not declare) a fresh save is
   * taken first.
   */
  restore(family: IptablesFamily, tx: IptablesTransaction): Promise<void>;
  save(family: IptablesFamily, table?: Table): Promise<IptablesState>;
  /** Makes every jump rule exist exactly once (inserting missing ones, deleting duplicates), without flushing built-in chains. */
  ensureJumps(family: IptablesFamily, jumps: readonly JumpRule[]): Promise<void>;
}
