/** What the daemon runs with, after the config file, the flags and kube-proxy's defaults are merged. */
import type { IpFamily, IpvsScheduler } from '../validate/validate.ts';

/** Which node addresses serve NodePorts (kube-proxy's nodePortAddresses). */
export type NodePortAddresses =
  | { readonly kind: 'all' }
  /** The Node object's primary IPs. */
  | { readonly kind: 'primary' }
  /** Local addresses inside these canonical CIDRs. */
  | { readonly kind: 'cidrs'; readonly cidrs: readonly string[] };

/** IPVS connection timeouts in whole seconds (ipvsadm --set); 0 leaves the kernel's value as is. */
export interface IpvsTimeoutSettings {
  readonly tcp: number;
  readonly tcpFin: number;
  readonly udp: number;
}

export interface Settings {
  /** `--config`, when given. */
  readonly configFile: string | undefined;
  readonly manifests: string | undefined;
  readonly dryRun: boolean;
  readonly once: boolean;
  readonly cleanup: boolean;
  /** Trimmed and lower-cased, as kube-proxy does; undefined means the host name. */
  readonly hostname: string | undefined;
  readonly mode: 'ipvs';
  readonly kubeconfig: string | undefined;
  readonly master: string | undefined;
  /** Canonical IP; kube-proxy's override of the node's primary IP (0.0.0.0 / :: mean none). */
  readonly bindAddress: string;
  /** `host:port` (IPv6 bracketed), or undefined when disabled with an empty flag value. */
  readonly healthzBindAddress: string | undefined;
  readonly metricsBindAddress: string | undefined;
  readonly scheduler: IpvsScheduler;
  readonly clusterCIDRs: readonly string[];
  readonly masqueradeAll: boolean;
  readonly masqueradeBit: number;
  readonly excludeCIDRs: readonly string[];
  readonly strictARP: boolean;
  readonly ipvsTimeouts: IpvsTimeoutSettings;
  readonly nodePortAddresses: NodePortAddresses;
  /**
   * `--service-node-port-range`, inclusive: a Service's nodePort or healthCheckNodePort outside it
   * is ignored (with a warning), so a nodePort of 22 can never take over the node's SSH.
   */
  readonly serviceNodePortRange: { readonly from: number; readonly to: number };
  /**
   * `--external-ip-cidrs`: Service externalIPs are served only inside these CIDRs (empty: all, as
   * upstream). Anyone who may create a Service can otherwise intercept any address (CVE-2020-8554).
   */
  readonly externalIPCIDRs: readonly string[];
  /** `--disable-external-ips`: no Service externalIP is served at all. */
  readonly externalIPsDisabled: boolean;
  readonly syncPeriodMs: number;
  readonly minSyncPeriodMs: number;
  readonly configSyncPeriodMs: number;
  readonly ipvsBackend: 'netlink' | 'ipvsadm';
  readonly iptablesBackend: 'legacy' | 'nft' | undefined;
  /**
   * `--ip-families`: narrows the families served. Undefined: every family the node supports
   * (cli/families.ts), as upstream serves both whenever iptables and ip6tables work; the cluster
   * CIDR only decides masquerading.
   */
  readonly families: readonly IpFamily[] | undefined;
  /** klog verbosity (`--v`, logging.verbosity). */
  readonly verbosity: number;
  /** pino level for `verbosity`: 0-2 info, 3-4 debug, 5+ trace. */
  readonly logLevel: string;
}

/** kube-proxy's defaults (pkg/proxy/apis/config/v1alpha1/defaults.go) for the fields we act on. */
export const DEFAULTS = {
  bindAddress: '0.0.0.0',
  healthzPort: 10256,
  metricsPort: 10249,
  scheduler: 'rr',
  masqueradeBit: 14,
  syncPeriodMs: 30_000,
  // Upstream defaults only iptables.minSyncPeriod (1s); ipvs.minSyncPeriod stays 0.
  minSyncPeriodMs: 0,
  configSyncPeriodMs: 15 * 60_000,
} as const;

export function logLevelFor(verbosity: number): string {
  if (verbosity >= 5) return 'trace';
  return verbosity >= 3 ? 'debug' : 'info';
}
