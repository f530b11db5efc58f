/** Running Debian tools inside the sandbox kernel (tests, the demo and the benchmark share these). */
import { execFileSync } from 'node:child_process';

/** Runs a tool and returns its stdout; throws on a non-zero exit. */
export function tool(command: string, ...args: string[]): string {
  // stderr is captured (it rides on the thrown error) so expected failures do not litter test output.
  return execFileSync(command, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a tool, ignoring failure (cleanup of something that may not exist). */
export function toolQuiet(command: string, ...args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // nothing to clean up
  }
}
