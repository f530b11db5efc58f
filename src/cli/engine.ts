/**
 * The engine for the settings, plus what kube-proxy sets on the node once per start (the IPVS
 * connection timeouts). The daemon and `--once` both start here, so the two cannot drift apart:
 * `--once` used to skip the timeouts.
 */
import { release } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Settings } from '../config/settings.ts';
import type { FamilyConfig } from '../desired/config.ts';
import { desiredSysctls, parseKernelRelease } from '../desired/sysctls.ts';
import { servedFamilies } from '../engine/families.ts';
import { Proxier } from '../engine/proxier.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface Engine {
  readonly proxier: Proxier;
  readonly families: readonly FamilyConfig[];
}

export async function startEngine(settings: Settings, kernel: Kernel, nodeName: string, logger: Logger, clock: Clock): Promise<Engine> {
  const families = familyConfigs(settings, await servedFamilies(kernel, settings.families, logger), nodeName);
  const proxier = new Proxier({
    kernel, families, logger: logger.child({ component: 'proxier' }), dryRun: settings.dryRun, clock,
    sysctls: desiredSysctls({ strictARP: settings.strictARP, kernelVersion: parseKernelRelease(release()) }),
  });
  // --dry-run touches nothing.
  if (!settings.dryRun) await applyIpvsTimeouts(kernel, settings, logger);
  return { proxier, families };
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

function familyConfigs(s: Settings, served: readonly IpFamily[], nodeName: string): FamilyConfig[] {
  return served.map((family) => ({
    family,
    nodeName,
    nodeZone: undefined,
    nodeIPs: [],
    nodePortAddresses: s.nodePortAddresses,
    nodePortIPs: [],
    scheduler: s.scheduler,
    masqueradeAll: s.masqueradeAll,
    masqueradeBit: s.masqueradeBit,
    clusterCIDR: s.clusterCIDRs.find((c) => c.includes(':') === (family === 6)),
    excludeCIDRs: s.excludeCIDRs.filter((c) => c.includes(':') === (family === 6)),
    // Not split by family: an IPv4-only allowlist refuses IPv6 externalIPs rather than allowing them all.
    externalIPs: { enabled: !s.externalIPsDisabled, cidrs: s.externalIPCIDRs },
  }));
}
