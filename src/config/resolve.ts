/**
 * Merges the config file, the flags given on the command line and kube-proxy's defaults into
 * Settings, validating each value. A bad value throws one ConfigError naming where it came from:
 * the flag (`--ipvs-scheduler`) or the file's field path (`ipvs.scheduler`) and the file.
 */
import type { IpFamily } from '../validate/validate.ts';
import type { DecodedConfig } from './decode.ts';
import { FIELDS } from './schema.ts';
import { DEFAULTS, logLevelFor, type Settings } from './settings.ts';
import * as v from './values.ts';

/** A config path set by a flag given on the command line. */
export interface FlagValue {
  readonly flag: string;
  readonly value: unknown;
}

/** Flags that have no config file field. */
export interface ExtraOptions {
  readonly configFile: string | undefined;
  readonly master: string | undefined;
  readonly manifests: string | undefined;
  readonly dryRun: boolean;
  readonly once: boolean;
  readonly cleanup: boolean;
  readonly ipvsBackend: 'netlink' | 'ipvsadm';
  readonly iptablesBackend: 'legacy' | 'nft' | undefined;
  readonly families: readonly IpFamily[] | undefined;
  /** `--service-node-port-range` as given (the API server's flag: no config file field). */
  readonly serviceNodePortRange: string | undefined;
  /** `--external-ip-cidrs` as given, comma-separated (no config file field: upstream has none). */
  readonly externalIPCIDRs?: string | undefined;
  readonly externalIPsDisabled?: boolean | undefined;
}

export interface ResolveInput {
  readonly file: DecodedConfig | undefined;
  readonly flags: ReadonlyMap<string, FlagValue>;
  readonly extras: ExtraOptions;
}

export interface Resolved {
  readonly settings: Settings;
  /** Flags and file fields that were set but that ipvs-proxier does not act on, for a log line. */
  readonly ignoredFields: string[];
  /** Config file fields this type does not have; logged as a warning, never fatal (as kube-proxy). */
  readonly unknownFields: readonly string[];
}

export function resolveSettings(input: ResolveInput): Resolved {
  const pick = picker(input);
  // The mode first: with an unsupported mode, nothing else in the file is worth reporting.
  const mode = v.proxyMode(pick('mode'));
  v.detectLocalMode(pick('detectLocalMode'));
  v.checkUpstreamRanges(pick);
  const bindAddress = v.ipAddress(pick('bindAddress'), DEFAULTS.bindAddress);
  const { syncPeriodMs, minSyncPeriodMs } = v.syncPeriods(pick('ipvs.syncPeriod'), pick('ipvs.minSyncPeriod'));
  const clusterCIDRs = v.clusterCIDRs(pick('clusterCIDR'));
  const verbosity = (pick('logging.verbosity')?.value as number | undefined) ?? 0;
  const settings: Settings = {
    configFile: input.extras.configFile,
    manifests: input.extras.manifests,
    dryRun: input.extras.dryRun,
    // --dry-run prints one plan: it never loops.
    once: input.extras.once || input.extras.dryRun,
    cleanup: input.extras.cleanup,
    hostname: v.hostname(pick('hostnameOverride')),
    mode,
    kubeconfig: v.optionalString(pick('clientConnection.kubeconfig')),
    master: input.extras.master === '' ? undefined : input.extras.master,
    bindAddress,
    healthzBindAddress: v.bindAddress(pick('healthzBindAddress'), bindAddress.includes(':') ? '::' : '0.0.0.0', DEFAULTS.healthzPort),
    metricsBindAddress: v.bindAddress(pick('metricsBindAddress'), bindAddress.includes(':') ? '::1' : '127.0.0.1', DEFAULTS.metricsPort),
    scheduler: v.scheduler(pick('ipvs.scheduler')),
    clusterCIDRs,
    masqueradeAll: (pick('iptables.masqueradeAll')?.value as boolean | undefined) ?? false,
    masqueradeBit: v.masqueradeBit(pick('iptables.masqueradeBit')),
    excludeCIDRs: v.cidrList(pick('ipvs.excludeCIDRs')),
    strictARP: (pick('ipvs.strictARP')?.value as boolean | undefined) ?? false,
    ipvsTimeouts: { tcp: v.ipvsTimeout(pick('ipvs.tcpTimeout')), tcpFin: v.ipvsTimeout(pick('ipvs.tcpFinTimeout')), udp: v.ipvsTimeout(pick('ipvs.udpTimeout')) },
    nodePortAddresses: v.nodePortAddresses(pick('nodePortAddresses')),
    serviceNodePortRange: v.serviceNodePortRange(input.extras.serviceNodePortRange),
    externalIPCIDRs: v.externalIPCIDRs(input.extras.externalIPCIDRs),
    externalIPsDisabled: input.extras.externalIPsDisabled ?? false,
    syncPeriodMs,
    minSyncPeriodMs,
    configSyncPeriodMs: v.positiveDuration(pick('configSyncPeriod'), DEFAULTS.configSyncPeriodMs),
    ipvsBackend: input.extras.ipvsBackend,
    iptablesBackend: input.extras.iptablesBackend,
    families: input.extras.families,
    verbosity,
    logLevel: logLevelFor(verbosity),
  };
  return { settings, ignoredFields: ignoredFields(input), unknownFields: input.file?.unknownFields ?? [] };
}

/** The effective value of a config path: a flag given on the command line wins over the file. */
function picker(input: ResolveInput): v.Pick {
  return (path) => {
    const flag = input.flags.get(path);
    if (flag !== undefined) return { value: flag.value, name: flag.flag, file: undefined };
    const file = input.file;
    if (file === undefined || !file.values.has(path)) return undefined;
    return { value: file.values.get(path), name: path, file: file.source };
  };
}


/**
 * Fields we accept but do not act on, when they ask for something: every such flag given, and
 * every such file field whose value is neither Go's zero value nor kube-proxy's default.
 */
function ignoredFields(input: ResolveInput): string[] {
  const out: string[] = [];
  for (const [path, spec] of Object.entries(FIELDS)) {
    if (spec.acted) continue;
    const flag = input.flags.get(path);
    if (flag !== undefined) out.push(flag.flag);
    else if (input.file?.values.has(path) === true && !isQuiet(input.file.values.get(path), spec.quiet)) out.push(path);
  }
  return out;
}

function isQuiet(value: unknown, quiet: readonly unknown[]): boolean {
  if (value === false || value === '' || value === 0) return true;
  if (Array.isArray(value) && value.length === 0) return true;
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return true;
  return quiet.some((q) => JSON.stringify(q) === JSON.stringify(value));
}
