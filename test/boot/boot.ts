/** Runs scripts/sandbox from the outside (each call boots the user-mode-linux kernel). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface BootResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function boot(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 300_000): BootResult {
  const r = spawnSync(`${projectRoot}scripts/sandbox`, args, { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
