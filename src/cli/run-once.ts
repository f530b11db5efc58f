/** `--once` and `--dry-run`: load the source's current state, sync one time (full), report, exit. */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { sourceDaemon } from '../daemon/source-daemon.ts';
import type { Proxier } from '../engine/proxier.ts';
import { renderPlan } from '../plan/render.ts';

export async function runOnce(settings: Settings, proxier: Proxier, nodeName: string, logger: Logger): Promise<number> {
  const source = sourceDaemon(settings, { proxier, logger, minSyncPeriodMs: settings.minSyncPeriodMs, syncPeriodMs: settings.syncPeriodMs }, nodeName);
  if (!(await source.loadOnce())) return 1;
  const report = await proxier.sync({ full: true });
  if (settings.dryRun) for (const plan of report.plans) process.stdout.write(renderPlan(plan));
  else logger.info({ writes: report.writes, failures: report.failures.length, durationMs: report.durationMs }, 'synced once');
  for (const f of report.failures) logger.warn({ step: f.step, code: f.error.code, object: f.error.object }, f.error.message);
  return report.failures.length === 0 ? 0 : 1;
}
