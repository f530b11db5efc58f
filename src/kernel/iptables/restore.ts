/** Writing rules: one `iptables-restore --noflush` process per transaction, input on stdin. */
import type { CommandRunner } from '../exec/exec.ts';

/** kube-proxy's default: wait up to 5 s for the xtables lock (/run/xtables.lock), then fail. */
export const DEFAULT_WAIT_SECONDS = 5;

/**
 * `--wait=N` is accepted by iptables-legacy-restore and iptables-nft-restore (1.8.9; nft ignores
 * it since it needs no lock). `-W/--wait-interval` is not passed: 1.8.9 prints "Ignoring deprecated
 * --wait-interval option". iptables-save takes no wait flag at all (it refuses -w).
 */
export function restoreArgs(waitSeconds: number): string[] {
  return ['--noflush', `--wait=${waitSeconds}`];
}

export async function runRestore(
  runner: CommandRunner, command: string, family: number, text: string, waitSeconds: number,
): Promise<void> {
  await runner.run(command, restoreArgs(waitSeconds), {
    input: text,
    operation: 'iptables.restore',
    object: `IPv${family}`,
  });
}
