/** One place that turns a sync report into log lines, so every mode logs syncs the same way. */
import type { Logger } from 'pino';
import type { SyncReport } from '../engine/proxier.ts';
import type { ModePlan } from '../engine/proxy-mode.ts';

export function logSync<P extends ModePlan>(logger: Logger, report: SyncReport<P>, render: (plan: P) => string): void {
  const summary = {
    full: report.full, writes: report.writes, servicesChanged: report.servicesChanged, durationMs: report.durationMs,
    failures: report.failures.length,
  };
  if (report.failures.length > 0) {
    for (const f of report.failures) {
      logger.warn({ step: f.step, code: f.error.code, operation: f.error.operation, object: f.error.object, err: f.error }, 'kernel write failed; next sync is full');
    }
  }
  // Full plans can be huge: only at debug level (issue 4: never below debug).
  if (logger.isLevelEnabled('debug')) {
    for (const plan of report.plans) {
      const text = render(plan);
      if (text !== '') logger.debug({ family: plan.family, full: plan.full, plan: text }, 'plan');
    }
  }
  // After the plan lines, so a reader of the log sees each sync's plan before its summary.
  logger.info(summary, report.writes === 0 ? 'sync: kernel already up to date' : 'sync applied');
}
