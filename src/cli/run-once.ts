/**
 * `--once` and `--dry-run`: load the source's current state, sync one time (full), report, exit.
 * The source stops watching before the sync, so nothing is left to keep the process alive.
 */
import type { Settings } from '../config/settings.ts';
import { sourceDaemon } from '../daemon/source-daemon.ts';
import { readNodeAddresses, type SyncLoopOptions } from '../daemon/sync-loop.ts';

export async function runOnce(settings: Settings, loop: SyncLoopOptions, nodeName: string): Promise<number> {
  const { proxier, logger } = loop;
  if (!(await (await sourceDaemon(settings, loop, nodeName)).loadOnce())) return 1;
  await readNodeAddresses(loop);
  const report = await proxier.sync({ full: true });
  if (settings.dryRun) for (const plan of report.plans) process.stdout.write(proxier.render(plan));
  else logger.info({ writes: report.writes, failures: report.failures.length, durationMs: report.durationMs }, 'synced once');
  for (const f of report.failures) logger.warn({ step: f.step, code: f.error.code, object: f.error.object }, f.error.message);
  return report.failures.length === 0 ? 0 : 1;
}
