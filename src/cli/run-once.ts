/** `--once` and `--dry-run`: load the source's current state, sync one time (full), report, exit. */
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { ManifestDirectory } from '../sources/manifests/load.ts';
import { ApiSource } from '../sources/api/api-source.ts';
import { loadApiConfig } from '../sources/api/kubeconfig.ts';
import type { Proxier } from '../engine/proxier.ts';
import { renderPlan } from '../plan/render.ts';

export async function runOnce(settings: Settings, proxier: Proxier, nodeName: string, logger: Logger): Promise<number> {
  if (!(await loadCurrentState(settings, proxier, nodeName, logger))) return 1;
  const report = await proxier.sync({ full: true });
  if (settings.dryRun) for (const plan of report.plans) process.stdout.write(renderPlan(plan));
  else logger.info({ writes: report.writes, failures: report.failures.length, durationMs: report.durationMs }, 'synced once');
  for (const f of report.failures) logger.warn({ step: f.step, code: f.error.code, object: f.error.object }, f.error.message);
  return report.failures.length === 0 ? 0 : 1;
}

async function loadCurrentState(settings: Settings, proxier: Proxier, nodeName: string, logger: Logger): Promise<boolean> {
  if (settings.manifests !== undefined) {
    const loaded = await new ManifestDirectory(settings.manifests).load();
    for (const p of loaded.problems) logger.error({ file: p.file, object: p.error.object, code: p.error.code }, `skipped: ${p.error.message}`);
    for (const service of loaded.services.values()) proxier.onServiceUpdate(undefined, service);
    for (const slice of loaded.slices.values()) proxier.onEndpointSliceUpdate(undefined, slice);
    return true;
  }
  const source = new ApiSource({
    kubeConfig: loadApiConfig({ kubeconfig: settings.kubeconfig, master: settings.master }),
    nodeName,
    logger: logger.child({ component: 'api-source' }),
    handlers: {
      onService: (a, b) => proxier.onServiceUpdate(a, b),
      onEndpointSlice: (a, b) => proxier.onEndpointSliceUpdate(a, b),
      onNode: (node) => proxier.setNodeZone(node?.zone),
    },
  });
  source.start();
  const synced = await source.whenSynced();
  await source.stop();
  return synced;
}
