/**
 * One log line when the externalIPs a service may not have change: refused by
 * `--disable-external-ips` or outside `--external-ip-cidrs` (CVE-2020-8554). The desired state
 * decides and reports changes (DesiredStateIndex.takeRefusalChanges); saying so is the engine's.
 */
import type { Logger } from 'pino';
import type { RefusalChange } from '../desired/index.ts';
import type { ServiceName } from '../model/types.ts';

const WHY = {
  disabled: 'externalIPs are turned off (--disable-external-ips)',
  'not-allowed': 'outside --external-ip-cidrs',
} as const;

export function logRefusals(logger: Logger, changes: readonly RefusalChange[], describe: (name: ServiceName) => string): void {
  for (const c of changes) {
    if (c.after.length === 0) {
      logger.info({ service: c.service }, `service ${describe(c.service)}: no externalIP is refused any more`);
      continue;
    }
    const refused = c.after.map((r) => `${r.address} (${WHY[r.reason]})`);
    logger.warn({ service: c.service, refused: c.after.map((r) => r.address) }, `service ${describe(c.service)}: externalIPs not served: ${refused.join(', ')}`);
  }
}
