/**
 * Every field of kube-proxy's KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1,
 * k8s.io/kube-proxy/config/v1alpha1/types.go), as data: its JSON type and whether ipvs-proxier
 * acts on it. Nested structs are implied by the dotted paths. A field missing here is unknown,
 * and unknown fields are refused (see decode.ts).
 *
 * `acted: false` fields are accepted so that a kubeadm-generated file loads unchanged; when one
 * is set to a non-zero value the caller logs it as ignored. Flip `acted` when a feature lands.
 */

export type FieldType =
  | 'string' | 'bool' | 'int32' | 'uint32' | 'float'
  /** metav1.Duration: a Go duration string. */
  | 'duration'
  /** logsapi TimeOrMetaDuration: a Go duration string, or an integer number of nanoseconds. */
  | 'durationOrNanos'
  /** resource.QuantityValue: `64Ki`, `1M`, or a number. */
  | 'quantity'
  | 'stringList'
  /** map[string]bool */
  | 'boolMap'
  /** logsapi VModuleConfiguration: a list of {filePattern, verbosity}. */
  | 'vmodule';

export interface FieldSpec {
  readonly type: FieldType;
  readonly acted: boolean;
  /**
   * Values besides the Go zero value that ask for nothing beyond kube-proxy's default (files
   * written by `kube-proxy --write-config-to` spell the defaults out). An ignored field holding
   * one of them is not worth a log line. Durations are in milliseconds.
   */
  readonly quiet: readonly unknown[];
}

const f = (type: FieldType, acted = false, ...quiet: unknown[]): FieldSpec => ({ type, acted, quiet });
const S30 = 30_000;

export const API_VERSION = 'kubeproxy.config.k8s.io/v1alpha1';
export const KIND = 'KubeProxyConfiguration';

export const FIELDS: Readonly<Record<string, FieldSpec>> = {
  apiVersion: f('string', true),
  kind: f('string', true),
  featureGates: f('boolMap'),

  'clientConnection.kubeconfig': f('string', true),
  'clientConnection.acceptContentTypes': f('string'),
  'clientConnection.contentType': f('string', false, 'application/vnd.kubernetes.protobuf'),
  'clientConnection.qps': f('float', false, 5),
  'clientConnection.burst': f('int32', false, 10),

  'logging.format': f('string', false, 'text'),
  'logging.flushFrequency': f('durationOrNanos', false, 5000),
  'logging.verbosity': f('uint32', true),
  'logging.vmodule': f('vmodule'),
  'logging.options.text.splitStream': f('bool'),
  'logging.options.text.infoBufferSize': f('quantity', false, '0'),
  'logging.options.json.splitStream': f('bool'),
  'logging.options.json.infoBufferSize': f('quantity', false, '0'),

  hostnameOverride: f('string', true),
  bindAddress: f('string', false, '0.0.0.0', '::'),
  healthzBindAddress: f('string', true),
  metricsBindAddress: f('string', true),
  bindAddressHardFail: f('bool'),
  enableProfiling: f('bool'),
  showHiddenMetricsForVersion: f('string'),

  mode: f('string', true),

  // In ipvs mode kube-proxy takes masqueradeBit and masqueradeAll from the iptables section,
  // and its sync periods from the ipvs section (v1alpha1 conversion.go).
  'iptables.masqueradeBit': f('int32', true),
  'iptables.masqueradeAll': f('bool', true),
  'iptables.localhostNodePorts': f('bool', false, true),
  'iptables.snatNodeInternalIP': f('bool'),
  'iptables.syncPeriod': f('duration', false, S30),
  'iptables.minSyncPeriod': f('duration', false, 1000),

  'ipvs.syncPeriod': f('duration', true),
  'ipvs.minSyncPeriod': f('duration', true),
  'ipvs.scheduler': f('string', true),
  'ipvs.excludeCIDRs': f('stringList', true),
  'ipvs.strictARP': f('bool', true),
  'ipvs.tcpTimeout': f('duration', true),
  'ipvs.tcpFinTimeout': f('duration', true),
  'ipvs.udpTimeout': f('duration', true),

  'nftables.masqueradeBit': f('int32', false, 14),
  'nftables.masqueradeAll': f('bool'),
  'nftables.syncPeriod': f('duration', false, S30),
  'nftables.minSyncPeriod': f('duration', false, 1000),

  'winkernel.networkName': f('string'),
  'winkernel.sourceVip': f('string'),
  'winkernel.enableDSR': f('bool'),
  'winkernel.rootHnsEndpointName': f('string'),
  'winkernel.forwardHealthCheckVip': f('bool'),

  // Validated (only ClusterCIDR is supported), so acting on it means refusing the others.
  detectLocalMode: f('string', true),
  'detectLocal.bridgeInterface': f('string'),
  'detectLocal.interfaceNamePrefix': f('string'),
  clusterCIDR: f('string', true),

  // Parsed and validated. This release programs ClusterIPs only (NodePort comes with the Service types work), so it is not acted on.
  nodePortAddresses: f('stringList', false, ['all']),

  oomScoreAdj: f('int32', false, -999),
  'conntrack.maxPerCore': f('int32', false, 32 * 1024),
  'conntrack.min': f('int32', false, 128 * 1024),
  'conntrack.tcpEstablishedTimeout': f('duration', false, 24 * 3_600_000),
  'conntrack.tcpCloseWaitTimeout': f('duration', false, 3_600_000),
  'conntrack.tcpBeLiberal': f('bool'),
  'conntrack.udpTimeout': f('duration'),
  'conntrack.udpStreamTimeout': f('duration'),
  configSyncPeriod: f('duration', false, 15 * 60_000),

  portRange: f('string'),
  windowsRunAsService: f('bool'),
  // Removed upstream in 1.26 with the userspace proxy, but kubeadm up to 1.25 wrote
  // `udpIdleTimeout: 0s` into every generated file, and upgraded clusters still carry it.
  udpIdleTimeout: f('duration', false, 250),
};

/** Dotted prefixes that are structs: `ipvs`, `logging.options`, `logging.options.text`, … */
export const STRUCTS: ReadonlySet<string> = new Set(
  Object.keys(FIELDS).flatMap((path) => {
    const parts = path.split('.');
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);
