/**
 * Which IP families this node serves. Upstream serves every family whose iptables works (both on a
 * dual-stack node); the cluster CIDR only decides what is masqueraded. ipvs-proxier used to take
 * the families from --cluster-cidr, so a kube-proxy config with an IPv4-only clusterCIDR silently
 * dropped every IPv6 Service (issue 8). --ip-families can still narrow the set.
 */
import type { Logger } from 'pino';
import { Errno, ProxierError, hasErrno } from '../errors.ts';
import type { Kernel } from '../kernel/kernel.ts';
import type { IpFamily } from '../validate/validate.ts';

const IPV6_STACK_SYSCTL = 'net/ipv6/conf/all/disable_ipv6';

/** The node's IPv6 stack: absent when the sysctl is (ENOENT: built or booted without IPv6). */
async function ipv6Stack(kernel: Kernel): Promise<'absent' | 'disabled' | 'enabled'> {
  try {
    return (await kernel.sysctl.get(IPV6_STACK_SYSCTL)).trim() === '1' ? 'disabled' : 'enabled';
  } catch (error) {
    if (hasErrno(error, Errno.ENOENT)) return 'absent';
    throw error;
  }
}

export async function ipv6StackPresent(kernel: Kernel): Promise<boolean> {
  return (await ipv6Stack(kernel)) !== 'absent';
}

/** Why a family cannot be served here; undefined: it can. */
async function unsupported(kernel: Kernel, family: IpFamily): Promise<string | undefined> {
  if (family === 6) {
    const stack = await ipv6Stack(kernel);
    if (stack === 'absent') return 'the kernel has no IPv6 stack';
    if (stack === 'disabled') return 'IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1)';
  }
  try {
    await kernel.iptables.save(family, 'nat');
    return undefined;
  } catch (error) {
    return `${family === 4 ? 'iptables' : 'ip6tables'} does not work: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function servedFamilies(kernel: Kernel, requested: readonly IpFamily[] | undefined, logger: Logger): Promise<IpFamily[]> {
  const served: IpFamily[] = [];
  const refused: string[] = [];
  for (const family of requested ?? [4, 6]) {
    const why = await unsupported(kernel, family);
    if (why === undefined) served.push(family);
    else {
      refused.push(`IPv${family}: ${why}`);
      // Asked for explicitly, a missing family is worth a warning; detected, only a note.
      if (requested !== undefined) logger.warn({ family, reason: why }, 'IP family asked for by --ip-families is not served');
    }
  }
  if (served.length === 0) {
    throw new ProxierError('ERR_CONFIG', `no IP family can be served on this node (${refused.join('; ')})`, { operation: 'detect IP families' });
  }
  logger.info({ families: served, notServed: refused }, 'IP families served');
  return served;
}
