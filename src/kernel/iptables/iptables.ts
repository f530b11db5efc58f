/** The real Iptables: the iptables tools of one backend, run through the injected CommandRunner. */
import type { CommandRunner } from '../exec/exec.ts';
import { binaries, resolveBackend } from './backend.ts';
import { ensureJumpsWith, renderForRestore } from './plan.ts';
import { DEFAULT_WAIT_SECONDS, runRestore } from './restore.ts';
import { runSave } from './save.ts';
import type { IptablesTransaction } from './transaction.ts';
import type {
  Iptables, IptablesBackend, IptablesFamily, IptablesState, JumpRule, Table,
} from './types.ts';

export interface ToolIptablesOptions {
  /** Default: $IPVS_PROXIER_IPTABLES_BACKEND, else `nft`. */
  readonly backend?: IptablesBackend | undefined;
  /** Seconds iptables-restore waits for the xtables lock. */
  readonly waitSeconds?: number | undefined;
}

export class ToolIptables implements Iptables {
  readonly backend: IptablesBackend;
  readonly #runner: CommandRunner;
  readonly #waitSeconds: number;

  constructor(runner: CommandRunner, options: ToolIptablesOptions = {}) {
    this.#runner = runner;
    this.backend = resolveBackend(options.backend);
    this.#waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  }

  async restore(family: IptablesFamily, tx: IptablesTransaction): Promise<void> {
    const text = await renderForRestore((f, t) => this.save(f, t), family, tx);
    if (text === '') return;
    await runRestore(this.#runner, binaries(this.backend, family).restore, family, text, this.#waitSeconds);
  }

  save(family: IptablesFamily, table?: Table): Promise<IptablesState> {
    return runSave(this.#runner, binaries(this.backend, family).save, family, table);
  }

  /**
   * Jumps are resolved inside one restore against a fresh save instead of upstream's `iptables -C`
   * then `-I` per rule: one save plus (only when something is missing) one restore, instead of two
   * processes per jump per sync, and the insertions of one table commit together.
   */
  ensureJumps(family: IptablesFamily, jumps: readonly JumpRule[]): Promise<void> {
    return ensureJumpsWith(this, family, jumps);
  }
}
