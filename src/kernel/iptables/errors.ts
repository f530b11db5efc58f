/** Typed errors of the iptables subsystem (codes, never message text, classify them). */
import { ProxierError } from '../../errors.ts';

/** A rule jumps to a chain that is not declared in the transaction and does not exist. */
export class UnknownChainError extends ProxierError {
  readonly table: string;
  readonly chain: string;

  constructor(table: string, chain: string, operation: string, from: string) {
    super('ERR_IPTABLES_UNKNOWN_CHAIN', `${operation}: ${from} jumps to chain ${table}/${chain}, which is neither declared nor known to exist`, {
      operation,
      object: `${table}/${chain}`,
    });
    this.table = table;
    this.chain = chain;
  }
}

/** A transaction that recorded errors while it was built, or failed its render-time checks. */
export class IptablesTransactionError extends ProxierError {
  readonly errors: readonly ProxierError[];

  constructor(errors: readonly ProxierError[], operation: string) {
    const first = errors[0]?.message ?? 'unknown error';
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super('ERR_IPTABLES_TRANSACTION', `${operation}: invalid iptables transaction: ${first}${more}`, {
      operation,
      cause: errors[0],
    });
    this.errors = errors;
  }
}

/** iptables-save printed something we cannot parse. */
export class IptablesParseError extends ProxierError {
  readonly line: number;

  constructor(line: number, text: string, reason: string) {
    super('ERR_IPTABLES_PARSE', `iptables-save output line ${line}: ${reason}: ${JSON.stringify(text)}`, {
      operation: 'iptables.save',
    });
    this.line = line;
  }
}
