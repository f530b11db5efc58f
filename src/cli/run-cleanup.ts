/** `--cleanup`: remove what we own, report, exit 0 (1 when something could not be removed). */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { cleanup } from '../engine/cleanup.ts';
import { openKernel } from '../kernel/open.ts';

export async function runCleanup(settings: Settings, logger: Logger): Promise<number> {
  const kernel = await openKernel({ ipvsBackend: settings.ipvsBackend, iptablesBackend: settings.iptablesBackend });
  try {
    // Every family the node has, whatever the flags say (cleanup.ts).
    const report = await cleanup(kernel);
    for (const err of report.errors) logger.error({ code: err.code, operation: err.operation, object: err.object }, err.message);
    logger.info({ virtualServers: report.virtualServers, chains: report.chains, sets: report.sets, linkDeleted: report.linkDeleted }, 'cleanup done');
    return report.errors.length === 0 ? 0 : 1;
  } finally {
    await kernel.close();
  }
}
