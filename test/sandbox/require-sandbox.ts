/**
 * Imported first by every real-kernel test. Outside the sandbox these tests fail loudly, never skip:
 * a green run must mean the kernel behaviour was really exercised.
 */
import { execFileSync } from 'node:child_process';

if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  throw new Error('real-kernel test run outside the sandbox: run it through scripts/sandbox (npm run test:sandbox)');
}

/** Runs a Debian tool inside the sandbox and returns its stdout (throws on non-zero exit). */
export function tool(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

/** Runs a tool, ignoring failure (cleanup paths). */
export function toolQuiet(command: string, ...args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // cleanup of something that may not exist
  }
}
