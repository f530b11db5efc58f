/**
 * The whole kernel layer made of fakes, wired together the way the kernel is: iptables rules may
 * only reference ipsets that exist, a set a rule references cannot be destroyed, and ipset goes
 * through the same HybridIpset routing as on a node (member changes with netlink semantics,
 * everything else with `ipset restore` semantics).
 * Used by engine tests and by --dry-run on machines without IPVS.
 */
import { FakeIpset } from './ipset/fake.ts';
import { HybridIpset } from './ipset/hybrid.ts';
import { FakeIptables } from './iptables/fake.ts';
import { FakeIpvs } from './ipvs/fake.ts';
import type { Kernel } from './kernel.ts';
import { FakeLinks } from './link/fake.ts';
import { FakeSysctl } from './sysctl/fake.ts';

export interface FakeKernel extends Kernel {
  readonly ipvs: FakeIpvs;
  readonly links: FakeLinks;
  readonly ipset: HybridIpset;
  /** The sets behind `ipset`, for test hooks (setReferenced, restores). */
  readonly ipsetState: FakeIpset;
  readonly iptables: FakeIptables;
  readonly sysctl: FakeSysctl;
}

export function createFakeKernel(): FakeKernel {
  const ipsetState = new FakeIpset();
  const iptables = new FakeIptables({ setExists: (name) => ipsetState.hasSet(name) });
  // As in the kernel, a set some iptables rule matches cannot be destroyed (EBUSY).
  ipsetState.useRuleReferences((name) => iptables.referencesSet(name));
  return {
    ipvs: new FakeIpvs(),
    links: new FakeLinks(),
    ipset: new HybridIpset(ipsetState, ipsetState.memberPath()),
    ipsetState,
    iptables,
    // A freshly booted node with IPVS loaded: the settings the proxier manages, at kernel defaults.
    sysctl: new FakeSysctl({
      'net/ipv4/vs/conntrack': '0', 'net/ipv4/vs/expire_nodest_conn': '0', 'net/ipv4/vs/expire_quiescent_template': '0',
      'net/ipv4/vs/conn_reuse_mode': '1', 'net/ipv4/ip_forward': '0', 'net/ipv4/conf/all/arp_ignore': '0', 'net/ipv4/conf/all/arp_announce': '0',
      // The node has an IPv6 stack (--cleanup looks for ip6tables rules only where there is one).
      'net/ipv6/conf/all/disable_ipv6': '0',
    }),
  };
}
