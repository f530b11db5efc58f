/**
 * ipvs-proxier's entry point. Parses flags, opens the kernel layer, and runs the manifests source
 * (the Kubernetes API source is the daemon issue's). Returns the process exit status.
 */
import { hostname, release } from 'node:os';
import { CommanderError } from 'commander';
import type { Logger } from 'pino';
import { ManifestDaemon } from '../daemon/manifests-daemon.ts';
import type { FamilyConfig } from '../desired/config.ts';
import { Proxier } from '../engine/proxier.ts';
import { cleanup } from '../engine/cleanup.ts';
import { createFakeKernel } from '../kernel/fake-kernel.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { openKernel } from '../kernel/open.ts';
import { createLogger } from '../log.ts';
import { renderPlan } from '../plan/render.ts';
import { desiredSysctls, parseKernelRelease } from '../desired/sysctls.ts';
import { buildCommand, settingsFrom, type CliSettings } from './options.ts';

export async function main(argv: readonly string[]): Promise<number> {
  let settings: CliSettings;
  try {
    settings = settingsFrom(buildCommand().parse([...argv], { from: 'user' }));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  const logger = createLogger(settings.logLevel);
  if (settings.cleanup) return runCleanup(settings, logger);
  if (settings.manifests === undefined) {
    logger.error('no source of services: pass --manifests DIR (the Kubernetes API source is not available in this build)');
    return 2;
  }
  const { kernel, close } = await kernelFor(settings, logger);
  try {
    return await run(settings, settings.manifests, kernel, logger);
  } finally {
    await close();
  }
}

async function run(settings: CliSettings, dir: string, kernel: Kernel, logger: Logger): Promise<number> {
  const sysctls = desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) });
  const proxier = new Proxier({ kernel, families: familyConfigs(settings), logger, dryRun: settings.dryRun, sysctls });
  const daemon = new ManifestDaemon({ dir, proxier, logger, minSyncPeriodMs: settings.minSyncPeriodMs, syncPeriodMs: settings.syncPeriodMs });
  if (settings.once) {
    await daemon.reload();
    const report = await proxier.sync({ full: true });
    if (settings.dryRun) for (const plan of report.plans) process.stdout.write(renderPlan(plan));
    else logger.info({ writes: report.writes, failures: report.failures.length, durationMs: report.durationMs }, 'synced once');
    for (const f of report.failures) logger.warn({ step: f.step, code: f.error.code, object: f.error.object }, f.error.message);
    return report.failures.length === 0 ? 0 : 1;
  }
  await daemon.start();
  logger.info({ dir }, 'watching manifests');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // As kube-proxy: stop, but leave the data plane exactly as it is.
  logger.info('stopping; kernel state is left in place');
  await daemon.stop();
  return 0;
}

async function runCleanup(settings: CliSettings, logger: Logger): Promise<number> {
  const kernel = await openKernel({ ipvsBackend: settings.ipvsBackend, iptablesBackend: settings.iptablesBackend });
  try {
    const report = await cleanup(kernel, settings.families);
    for (const err of report.errors) logger.error({ code: err.code, operation: err.operation, object: err.object }, err.message);
    logger.info({ virtualServers: report.virtualServers, chains: report.chains, sets: report.sets, linkDeleted: report.linkDeleted }, 'cleanup done');
    return report.errors.length === 0 ? 0 : 1;
  } finally {
    await kernel.close();
  }
}

/** --dry-run reads the real kernel when it can, and plans against an empty one when it cannot (no IPVS here). */
async function kernelFor(settings: CliSettings, logger: Logger): Promise<{ kernel: Kernel; close: () => Promise<void> }> {
  try {
    const kernel = await openKernel({ ipvsBackend: settings.ipvsBackend, iptablesBackend: settings.iptablesBackend });
    if (!settings.dryRun) return { kernel, close: () => kernel.close() };
    try {
      await Promise.all([kernel.ipvs.listServices(), kernel.ipset.listNames(), kernel.iptables.save(4, 'nat')]);
      return { kernel, close: () => kernel.close() };
    } catch (error) {
      await kernel.close();
      throw error;
    }
  } catch (error) {
    if (!settings.dryRun) throw error;
    logger.warn({ code: (error as { code?: unknown }).code, reason: String(error) }, 'kernel state is not readable here; planning against an empty kernel');
    return { kernel: createFakeKernel(), close: () => Promise.resolve() };
  }
}

function familyConfigs(s: CliSettings): FamilyConfig[] {
  return s.families.map((family) => ({
    family,
    nodeName: s.hostname ?? hostname(),
    nodeZone: undefined,
    scheduler: s.scheduler,
    masqueradeAll: s.masqueradeAll,
    masqueradeBit: s.masqueradeBit,
    clusterCIDR: s.clusterCIDRs.find((c) => c.includes(':') === (family === 6)),
    excludeCIDRs: s.excludeCIDRs.filter((c) => c.includes(':') === (family === 6)),
  }));
}
