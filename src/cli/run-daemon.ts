/**
 * Runs the proxier: opens the kernel layer, builds the engine from the settings, starts health,
 * metrics and the healthCheckNodePort servers (closed on stop), and feeds the engine from the manifests directory or the API server. On SIGTERM/SIGINT
 * it stops watching and exits WITHOUT touching the data plane, as kube-proxy does.
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { realClock, type Clock } from '../clock.ts';
import type { Settings } from '../config/settings.ts';
import { sourceDaemon } from '../daemon/source-daemon.ts';
import type { SyncLoopOptions } from '../daemon/sync-loop.ts';
import { formatBindAddress } from '../observability/bind-address.ts';
import { startObservability, type Observability } from '../observability/observability.ts';
import { startEngine } from './engine.ts';
import { kernelFor } from './kernel-for.ts';
import { runOnce } from './run-once.ts';

/** What a run reaches outside the process; tests pass a fake kernel and a manual clock. */
export interface RunDependencies {
  readonly kernelFor: typeof kernelFor;
  readonly clock: Clock;
}

const REAL: RunDependencies = { kernelFor, clock: realClock };

export async function runDaemon(settings: Settings, logger: Logger, deps: RunDependencies = REAL): Promise<number> {
  const nodeName = (settings.hostname ?? hostname()).trim().toLowerCase();
  const { clock } = deps;
  const { kernel, close } = await deps.kernelFor(settings, logger, clock);
  try {
    const { proxier, families } = await startEngine(settings, kernel, nodeName, logger, clock);
    const loop: SyncLoopOptions = {
      proxier, logger, minSyncPeriodMs: settings.minSyncPeriodMs, syncPeriodMs: settings.syncPeriodMs, clock,
      nodeAddresses: () => kernel.links.listLocalAddresses(),
    };
    if (settings.once) return await runOnce(settings, loop, nodeName);
    const observability = await startObservability({
      proxier, families, syncPeriodMs: settings.syncPeriodMs, clock,
      healthzBindAddress: settings.healthzBindAddress ?? '', metricsBindAddress: settings.metricsBindAddress ?? '',
      dumpVirtualServers: () => kernel.ipvs.dump(),
      onError: (err) => logger.error({ err }, 'health/metrics server error'),
      onServiceHealthListenError: (err) => logger.error({ err, object: err.object }, err.message),
      onServiceHealthOpened: (target, addresses) => logger.info(
        { service: `${target.namespace}/${target.name}`, port: target.port, addresses: addresses.map(formatBindAddress) }, 'healthCheckNodePort server listening'),
    });
    try {
      const observed = { ...loop, observer: observability.observer, afterSync: () => observability.serviceHealth.sync() };
      return await watchUntilSignal(settings, observed, nodeName, observability);
    } finally {
      await observability.close();
    }
  } finally {
    await close();
  }
}

async function watchUntilSignal(settings: Settings, loop: SyncLoopOptions, nodeName: string, observability: Observability): Promise<number> {
  const { logger } = loop;
  const daemon = await sourceDaemon(settings, loop, nodeName);
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
