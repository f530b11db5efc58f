/** Opens the kernel layer; `--dry-run` plans against an empty fake kernel when this one has no IPVS. */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Settings } from '../config/settings.ts';
import { createFakeKernel } from '../kernel/fake-kernel.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { openKernel } from '../kernel/open.ts';

export async function kernelFor(settings: Settings, logger: Logger, clock: Clock): Promise<{ kernel: Kernel; close: () => Promise<void> }> {
  try {
    const kernel = await openKernel({ ipvsBackend: settings.ipvsBackend, iptablesBackend: settings.iptablesBackend, clock });
    logger.info({ backend: kernel.iptablesBackend.backend, reason: kernel.iptablesBackend.reason }, 'iptables backend');
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
