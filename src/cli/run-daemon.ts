/**
 * Runs the proxier: opens the kernel layer, builds the engine from the settings, starts health and
 * metrics, and feeds the engine from the manifests directory or the API server. On SIGTERM/SIGINT
 * it stops watching and exits WITHOUT touching the data plane, as kube-proxy does.
 */
import { hostname, release } from 'node:os';
import type { Logger } from 'pino';
import type { Settings } from '../config/settings.ts';
import { sourceDaemon } from '../daemon/source-daemon.ts';
import type { SyncLoopOptions } from '../daemon/sync-loop.ts';
import type { FamilyConfig } from '../desired/config.ts';
import { desiredSysctls, parseKernelRelease } from '../desired/sysctls.ts';
import { Proxier } from '../engine/proxier.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { startObservability, type Observability } from '../observability/observability.ts';
import { kernelFor } from './kernel-for.ts';
import { runOnce } from './run-once.ts';

export async function runDaemon(settings: Settings, logger: Logger): Promise<number> {
  const nodeName = (settings.hostname ?? hostname()).trim().toLowerCase();
  const { kernel, close } = await kernelFor(settings, logger);
  try {
    const families = familyConfigs(settings, nodeName);
    const proxier = new Proxier({
      kernel, families, logger: logger.child({ component: 'proxier' }), dryRun: settings.dryRun,
      sysctls: desiredSysctls({ strictARP: settings.strictARP, kernelVersion: parseKernelRelease(release()) }),
    });
    if (settings.once) return await runOnce(settings, proxier, nodeName, logger);
    await applyIpvsTimeouts(kernel, settings, logger);
    const observability = await startObservability({
      proxier, families, syncPeriodMs: settings.syncPeriodMs,
      healthzBindAddress: settings.healthzBindAddress ?? '', metricsBindAddress: settings.metricsBindAddress ?? '',
      dumpVirtualServers: () => kernel.ipvs.dump(),
      onError: (err) => logger.error({ err }, 'health/metrics server error'),
    });
    try {
      return await watchUntilSignal(settings, { proxier, logger, observer: observability.observer, minSyncPeriodMs: settings.minSyncPeriodMs, syncPeriodMs: settings.syncPeriodMs }, nodeName, observability);
    } finally {
      await observability.close();
    }
  } finally {
    await close();
  }
}

async function watchUntilSignal(settings: Settings, loop: SyncLoopOptions, nodeName: string, observability: Observability): Promise<number> {
  const { logger } = loop;
  const daemon = sourceDaemon(settings, loop, nodeName);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ node: nodeName, source: settings.manifests ?? 'api', healthz: observability.healthz?.address, metrics: observability.metricsEndpoint?.address }, 'ipvs-proxier starting');
  await Promise.race([daemon.start(), stopped]);
  await stopped;
  logger.info('stopping; the data plane is left exactly as it is');
  await daemon.stop();
  return 0;
}

/** kube-proxy's `ipvsadm --set`: only timeouts configured above 0 are written. */
async function applyIpvsTimeouts(kernel: Kernel, settings: Settings, logger: Logger): Promise<void> {
  const t = settings.ipvsTimeouts;
  if (t.tcp === 0 && t.tcpFin === 0 && t.udp === 0) return;
  try {
    await kernel.ipvs.setTimeouts(t);
    logger.info({ ...t }, 'IPVS timeouts set');
  } catch (err) {
    logger.error({ err }, 'could not set IPVS timeouts; keeping the kernel\'s');
  }
}

function familyConfigs(s: Settings, nodeName: string): FamilyConfig[] {
  return s.families.map((family) => ({
    family,
    nodeName,
    nodeZone: undefined,
    scheduler: s.scheduler,
    masqueradeAll: s.masqueradeAll,
    masqueradeBit: s.masqueradeBit,
    clusterCIDR: s.clusterCIDRs.find((c) => c.includes(':') === (family === 6)),
    excludeCIDRs: s.excludeCIDRs.filter((c) => c.includes(':') === (family === 6)),
  }));
}
