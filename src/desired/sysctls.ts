/**
 * Kernel parameters the IPVS proxier needs on the node, as data (upstream proxier.go NewProxier).
 * Pure: the kernel version comes in as an argument.
 */
export interface DesiredSysctl {
  readonly name: string;
  readonly value: string;
  /** Why: shown in logs when we change a node setting. */
  readonly reason: string;
}

export interface SysctlConfig {
  readonly strictARP: boolean;
  /** [major, minor] of the running kernel. */
  readonly kernelVersion: readonly [number, number];
}

export function desiredSysctls(config: SysctlConfig): DesiredSysctl[] {
  const out: DesiredSysctl[] = [
    { name: 'net/ipv4/vs/conntrack', value: '1', reason: 'IPVS connections need conntrack entries, or iptables masquerade (hairpin, SNAT) never sees them' },
    { name: 'net/ipv4/vs/expire_nodest_conn', value: '1', reason: 'drop connections to deleted real servers at once instead of blackholing them' },
    { name: 'net/ipv4/vs/expire_quiescent_template', value: '1', reason: 'persistence templates of weight-0 real servers expire, so affinity moves off terminating endpoints' },
    { name: 'net/ipv4/ip_forward', value: '1', reason: 'service traffic is forwarded to pods' },
  ];
  const [major, minor] = config.kernelVersion;
  const atLeast = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  // Upstream issues 70747 and 81775: conn_reuse_mode=1 caused 1 s connection delays on 4.1..5.8;
  // 5.9 fixed it (issue 93297), so newer kernels are left alone.
  if (atLeast(4, 1) && !atLeast(5, 9)) {
    out.push({ name: 'net/ipv4/vs/conn_reuse_mode', value: '0', reason: 'avoid 1 s delays on port reuse (upstream issues 70747, 81775)' });
  }
  if (config.strictARP) {
    out.push(
      { name: 'net/ipv4/conf/all/arp_ignore', value: '1', reason: 'strictARP: do not answer ARP for service IPs on kube-ipvs0' },
      { name: 'net/ipv4/conf/all/arp_announce', value: '2', reason: 'strictARP: never announce service IPs as ARP source' },
    );
  }
  return out;
}

/** `6.1.0-13-amd64` → [6, 1]. */
export function parseKernelRelease(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}
