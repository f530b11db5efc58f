/**
 * Command-line flags, with kube-proxy's names and semantics. Flags that have a config file field
 * are listed in CONFIG_FLAGS with its path; a flag given on the command line overrides the file.
 * Flag values are type-checked here (durations, booleans, integers); everything else is
 * validated once, for flags and file alike, in src/config/resolve.ts.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { decodeConfig } from '../config/decode.ts';
import { ConfigError } from '../config/errors.ts';
import { resolveSettings, type ExtraOptions, type FlagValue, type Resolved } from '../config/resolve.ts';
import { FIELDS, type FieldType } from '../config/schema.ts';
import type { IpFamily } from '../validate/validate.ts';
import { goDurationMs } from './duration.ts';

/** Go's strconv.ParseBool spellings, so `--masquerade-all=false` works as in kube-proxy. */
export function parseBool(value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

/** [flag spelling, help, config path]. The value's type is the path's type in the schema. */
const CONFIG_FLAGS: readonly (readonly [string, string, string])[] = [
  ['--kubeconfig <file>', 'kubeconfig file with the API server and credentials', 'clientConnection.kubeconfig'],
  ['--hostname-override <name>', 'node name used to tell local endpoints (default: the hostname)', 'hostnameOverride'],
  ['--bind-address <ip>', "override of the node's primary IP (default 0.0.0.0)", 'bindAddress'],
  ['--healthz-bind-address <ip:port>', 'health check server address; empty disables it (default 0.0.0.0:10256)', 'healthzBindAddress'],
  ['--metrics-bind-address <ip:port>', 'metrics server address; empty disables it (default 127.0.0.1:10249)', 'metricsBindAddress'],
  ['--bind-address-hard-fail [bool]', 'accepted for kube-proxy compatibility', 'bindAddressHardFail'],
  ['--profiling [bool]', 'accepted for kube-proxy compatibility; no profiling endpoint', 'enableProfiling'],
  ['--show-hidden-metrics-for-version <version>', 'accepted for kube-proxy compatibility', 'showHiddenMetricsForVersion'],
  ['--proxy-mode <mode>', "proxy mode: only 'ipvs' (an empty value means ipvs)", 'mode'],
  ['--feature-gates <gates>', 'accepted for kube-proxy compatibility (key=bool,...)', 'featureGates'],
  ['--kube-api-content-type <type>', 'accepted for kube-proxy compatibility', 'clientConnection.contentType'],
  ['--kube-api-qps <qps>', 'accepted for kube-proxy compatibility', 'clientConnection.qps'],
  ['--kube-api-burst <burst>', 'accepted for kube-proxy compatibility', 'clientConnection.burst'],
  ['--cluster-cidr <cidrs>', 'pod CIDR, or a dual-stack pair; traffic from outside it to a ClusterIP is masqueraded', 'clusterCIDR'],
  ['--detect-local-mode <mode>', 'how local traffic is told: only ClusterCIDR', 'detectLocalMode'],
  ['--pod-bridge-interface <name>', 'accepted for kube-proxy compatibility', 'detectLocal.bridgeInterface'],
  ['--pod-interface-name-prefix <prefix>', 'accepted for kube-proxy compatibility', 'detectLocal.interfaceNamePrefix'],
  ['--masquerade-all [bool]', 'SNAT all traffic sent via service cluster IPs', 'iptables.masqueradeAll'],
  ['--masquerade-bit <bit>', 'fwmark bit that marks packets for SNAT, 0..31 (default 14)', 'iptables.masqueradeBit'],
  ['--iptables-masquerade-bit <bit>', "kube-proxy's name for --masquerade-bit", 'iptables.masqueradeBit'],
  ['--iptables-sync-period <duration>', 'accepted for kube-proxy compatibility (ipvs mode uses --ipvs-sync-period)', 'iptables.syncPeriod'],
  ['--iptables-min-sync-period <duration>', 'accepted for kube-proxy compatibility', 'iptables.minSyncPeriod'],
  ['--iptables-localhost-nodeports [bool]', 'accepted for kube-proxy compatibility (iptables mode only)', 'iptables.localhostNodePorts'],
  ['--ipvs-scheduler <name>', 'IPVS scheduler (default rr)', 'ipvs.scheduler'],
  ['--ipvs-sync-period <duration>', 'maximum interval between full syncs (default 30s)', 'ipvs.syncPeriod'],
  ['--ipvs-min-sync-period <duration>', 'minimum interval between syncs (default 0s)', 'ipvs.minSyncPeriod'],
  ['--ipvs-exclude-cidrs <cidrs>', 'CIDRs whose virtual servers are never cleaned up', 'ipvs.excludeCIDRs'],
  ['--ipvs-strict-arp [bool]', 'set arp_ignore=1 and arp_announce=2', 'ipvs.strictARP'],
  ['--ipvs-tcp-timeout <duration>', 'IPVS idle TCP timeout, 0 leaves it as is', 'ipvs.tcpTimeout'],
  ['--ipvs-tcpfin-timeout <duration>', 'IPVS TCP timeout after a FIN, 0 leaves it as is', 'ipvs.tcpFinTimeout'],
  ['--ipvs-udp-timeout <duration>', 'IPVS UDP timeout, 0 leaves it as is', 'ipvs.udpTimeout'],
  ['--nodeport-addresses <list>', "CIDRs of node IPs that serve NodePorts, or 'primary'", 'nodePortAddresses'],
  ['--oom-score-adj <value>', 'accepted for kube-proxy compatibility', 'oomScoreAdj'],
  ['--conntrack-max-per-core <n>', 'accepted for kube-proxy compatibility', 'conntrack.maxPerCore'],
  ['--conntrack-min <n>', 'accepted for kube-proxy compatibility', 'conntrack.min'],
  ['--conntrack-tcp-timeout-established <duration>', 'accepted for kube-proxy compatibility', 'conntrack.tcpEstablishedTimeout'],
  ['--conntrack-tcp-timeout-close-wait <duration>', 'accepted for kube-proxy compatibility', 'conntrack.tcpCloseWaitTimeout'],
  ['--conntrack-tcp-be-liberal [bool]', 'accepted for kube-proxy compatibility', 'conntrack.tcpBeLiberal'],
  ['--conntrack-udp-timeout <duration>', 'accepted for kube-proxy compatibility', 'conntrack.udpTimeout'],
  ['--conntrack-udp-timeout-stream <duration>', 'accepted for kube-proxy compatibility', 'conntrack.udpStreamTimeout'],
  ['--config-sync-period <duration>', 'accepted for kube-proxy compatibility (default 15m)', 'configSyncPeriod'],
  ['--logging-format <format>', 'accepted for kube-proxy compatibility; logs are JSON', 'logging.format'],
  ['--v <level>', 'log verbosity: 0-2 info, 3-4 debug, 5+ trace (default 0)', 'logging.verbosity'],
];

/** `writeErr` receives commander's usage errors and help (default: stderr). */
export function buildCommand(writeErr: (text: string) => void = (text) => process.stderr.write(text)): Command {
  const command = new Command('ipvs-proxier')
    .description('IPVS-mode Kubernetes service proxy (drop-in for kube-proxy --proxy-mode=ipvs)')
    .option('--config <file>', 'KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1); flags given override it')
    .option('--master <url>', 'API server address (overrides the kubeconfig)')
    .option('--manifests <dir>', 'read Services and EndpointSlices from this directory and watch it (no-cluster mode)')
    .option('--dry-run', 'print the plan against the current kernel state and touch nothing', false)
    .option('--once', 'sync once and exit', false)
    .option('--cleanup', 'remove every kernel object ipvs-proxier owns (and nothing else), then exit', false)
    .addOption(new Option('--ipvs-backend <backend>', 'how IPVS is programmed').choices(['netlink', 'ipvsadm']).default('netlink'))
    .addOption(new Option('--iptables-backend <backend>', 'iptables binaries to use (default: $IPVS_PROXIER_IPTABLES_BACKEND, else detected from the node\'s rules)').choices(['legacy', 'nft']))
    .addOption(new Option('--ip-families <list>', 'IP families to serve: 4, 6 or 4,6 (default: those of --cluster-cidr, else 4)').argParser(familiesParser))
    .option('--service-node-port-range <from-to>', "the API server's node-port range; node ports outside it are ignored (default 30000-32767)")
    .option('--external-ip-cidrs <cidrs>', 'serve Service externalIPs only inside these comma-separated CIDRs (default: all; CVE-2020-8554)')
    .addOption(new Option('--disable-external-ips [bool]', 'serve no Service externalIPs at all (CVE-2020-8554)').argParser(parseBool));
  for (const [flags, help, path] of CONFIG_FLAGS) command.addOption(new Option(flags, help).argParser(flagParser(path)));
  return command.exitOverride().configureOutput({ writeErr });
}

/** Merges a parsed command with the decoded config file (when there is one). Throws ConfigError. */
export function resolveCommand(command: Command, file: ReturnType<typeof decodeConfig> | undefined): Resolved {
  const o = command.opts<Record<string, unknown>>();
  const flags = new Map<string, FlagValue>();
  for (const option of command.options) {
    const path = CONFIG_PATHS.get(option.long ?? '');
    const key = option.attributeName();
    if (path !== undefined && command.getOptionValueSource(key) === 'cli') flags.set(path, { flag: option.long ?? key, value: o[key] });
  }
  const extras: ExtraOptions = {
    configFile: o['config'] as string | undefined,
    master: o['master'] as string | undefined,
    manifests: o['manifests'] as string | undefined,
    dryRun: o['dryRun'] as boolean,
    once: o['once'] as boolean,
    cleanup: o['cleanup'] as boolean,
    ipvsBackend: o['ipvsBackend'] as 'netlink' | 'ipvsadm',
    iptablesBackend: o['iptablesBackend'] as 'legacy' | 'nft' | undefined,
    families: o['ipFamilies'] as IpFamily[] | undefined,
    serviceNodePortRange: o['serviceNodePortRange'] as string | undefined,
    externalIPCIDRs: o['externalIpCidrs'] as string | undefined,
    // A bare `--disable-external-ips` is true, as a Go bool flag.
    externalIPsDisabled: o['disableExternalIps'] === undefined ? false : o['disableExternalIps'] !== false,
  };
  return resolveSettings({ file, flags, extras });
}

/** Decodes config file text, naming `--config` when the file is empty of anything usable. */
export function readConfigFile(path: string, text: string): ReturnType<typeof decodeConfig> {
  if (text.trim() === '') throw new ConfigError('--config', path, 'the file is empty', { operation: 'load configuration file', object: path });
  return decodeConfig(text, path);
}

const CONFIG_PATHS = new Map(CONFIG_FLAGS.map(([flags, , path]) => [flags.split(' ')[0] ?? '', path]));

/** Parses a flag value into the same typed value the config file decoder produces. */
function flagParser(path: string): (value: string) => unknown {
  const type = FIELDS[path]?.type;
  if (type === undefined || type === 'quantity' || type === 'vmodule') throw new Error(`flag table: config path ${path} cannot take a flag`);
  return (value) => parseFlagValue(type, value);
}

function parseFlagValue(type: FieldType, value: string): unknown {
  switch (type) {
    case 'string':
      return value;
    case 'bool':
      return parseBool(value);
    case 'int32':
      return integer(value, -(2 ** 31), 2 ** 31 - 1);
    case 'uint32':
      return integer(value, 0, 2 ** 32 - 1);
    case 'float': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('must be a number');
      return n;
    }
    case 'duration':
    case 'durationOrNanos': {
      const ms = goDurationMs(value);
      if (ms === undefined) throw new InvalidArgumentError('must be a duration like 30s, 1m30s or 250ms');
      return ms;
    }
    case 'stringList':
      // pflag's StringSlice: comma-separated. Spaces around entries are forgiven.
      return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'boolMap':
      return Object.fromEntries(value.split(',').filter((s) => s !== '').map(featureGate));
    case 'quantity':
    case 'vmodule':
      throw new Error(`no flag takes a ${type}`);
  }
}

function featureGate(pair: string): [string, boolean] {
  const [name = '', setting, ...rest] = pair.split('=');
  if (name.trim() === '' || setting === undefined || rest.length > 0) throw new InvalidArgumentError('must be key=true|false pairs separated by commas');
  return [name.trim(), parseBool(setting.trim())];
}

function integer(value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be an integer ${min}..${max}`);
  return n;
}

function familiesParser(v: string): IpFamily[] {
  const parts = v.split(',');
  if (!parts.every((p) => p === '4' || p === '6') || new Set(parts).size !== parts.length) {
    throw new InvalidArgumentError('must be 4, 6 or 4,6');
  }
  return parts.map((p) => Number(p) as IpFamily);
}
