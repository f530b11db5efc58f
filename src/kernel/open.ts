/**
 * Opens the real kernel layer. The IPVS backend is netlink by default (batched, one socket) or the
 * ipvsadm tool; the ipset backend is hybrid by default (member add/del over netlink, the rest
 * through `ipset restore`, see ipset/hybrid.ts) or restore only; the iptables backend is legacy or
 * nft, as on the node.
 */
import { realClock, type Clock } from '../clock.ts';
import { ExecaRunner, type CommandRunner } from './exec/exec.ts';
import { HybridIpset } from './ipset/hybrid.ts';
import { NetlinkIpsetMembers } from './ipset/netlink.ts';
import { RestoreIpset } from './ipset/restore.ts';
import { ToolIptables } from './iptables/iptables.ts';
import type { IptablesBackend } from './iptables/types.ts';
import { BACKEND_ENV, resolveBackend } from './iptables/backend.ts';
import { detectBackend, type DetectedBackend } from './iptables/detect.ts';
import { IpvsadmIpvs } from './ipvs/ipvsadm.ts';
import { openNetlinkIpvs } from './ipvs/netlink.ts';
import type { Ipvs } from './ipvs/types.ts';
import type { Kernel } from './kernel.ts';
import { RtnetlinkLinks } from './link/rtnetlink.ts';
import { ProcSysctl } from './sysctl/procfs.ts';

export type IpvsBackend = 'netlink' | 'ipvsadm';
export type IpsetBackend = 'hybrid' | 'restore';

export interface OpenKernelOptions {
  readonly ipvsBackend?: IpvsBackend;
  readonly ipsetBackend?: IpsetBackend;
  readonly iptablesBackend?: IptablesBackend | undefined;
  readonly runner?: CommandRunner;
  /** Runs the tool and netlink reply timeouts (default: real time). */
  readonly clock?: Clock;
}

export interface OpenKernel extends Kernel {
  /** The iptables backend in use, and why (flag, environment, or detected from the node's rules). */
  readonly iptablesBackend: DetectedBackend;
  close(): Promise<void>;
}

export async function openKernel(options: OpenKernelOptions = {}): Promise<OpenKernel> {
  const clock = options.clock ?? realClock;
  const runner = options.runner ?? new ExecaRunner(clock);
  const iptablesBackend = await chooseIptablesBackend(options.iptablesBackend, runner);
  const ipvs: Ipvs = options.ipvsBackend === 'ipvsadm' ? new IpvsadmIpvs(runner) : await openNetlinkIpvs({ clock });
  let links: RtnetlinkLinks;
  try {
    links = RtnetlinkLinks.open({ clock });
  } catch (error) {
    await ipvs.close();
    throw error;
  }
  const restore = new RestoreIpset(runner);
  // The netlink socket opens on the first member change, so opening never fails because of it.
  const ipset = options.ipsetBackend === 'restore' ? undefined : new HybridIpset(restore, new NetlinkIpsetMembers(undefined, { clock }));
  return {
    ipvs,
    links,
    ipset: ipset ?? restore,
    iptablesBackend,
    iptables: new ToolIptables(runner, { backend: iptablesBackend.backend }),
    sysctl: new ProcSysctl(),
    close: async () => {
      ipset?.close();
      await Promise.allSettled([ipvs.close(), links.close()]);
    },
  };
}

/** The flag, else $IPVS_PROXIER_IPTABLES_BACKEND, else what the node already uses. */
async function chooseIptablesBackend(option: IptablesBackend | undefined, runner: CommandRunner): Promise<DetectedBackend> {
  if (option !== undefined) return { backend: option, reason: '--iptables-backend' };
  if (process.env[BACKEND_ENV] !== undefined) return { backend: resolveBackend(undefined), reason: `$${BACKEND_ENV}` };
  return detectBackend(runner);
}
