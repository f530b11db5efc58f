/**
 * Validation of single configuration values, as kube-proxy's validation.go does it, plus the
 * values ipvs-proxier does not support. Each takes the effective entry (or undefined when neither
 * the file nor a flag set it) and returns the canonical value or throws a ConfigError.
 */
import { formatDuration } from '../cli/duration.ts';
import { ValidationError } from '../errors.ts';
import { DEFAULT_MODEL_LIMITS } from '../model/parse-result.ts';
import { formatBindAddress, parseBindAddress } from '../observability/bind-address.ts';
import { parseAddress, parseCidr, parseScheduler, type IpvsScheduler } from '../validate/validate.ts';
import { ConfigError } from './errors.ts';
import { DEFAULTS, type NodePortAddresses } from './settings.ts';

export interface Entry {
  readonly value: unknown;
  /** The flag, or the file's field path. */
  readonly name: string;
  /** The config file, when the value came from it. */
  readonly file: string | undefined;
}
export type Pick = (path: string) => Entry | undefined;

const OPERATION = 'resolve configuration';
const CTX = { operation: OPERATION };

export function fail(entry: Entry, reason: string, cause?: unknown): never {
  throw new ConfigError(entry.name, entry.value, reason, { operation: OPERATION, object: entry.file, cause });
}

/** Runs a shared validate.ts parser; its ValidationError already names the flag or field and the value. */
function validated<T>(entry: Entry, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ValidationError) throw ConfigError.fromValidation(error, entry.file);
    throw error;
  }
}

/** Durations are shown as Go spells them, not as our milliseconds. */
function failDuration(entry: Entry, reason: string): never {
  return fail({ ...entry, value: formatDuration(entry.value as number) }, reason);
}

const UNSUPPORTED_MODES = new Set(['iptables', 'nftables', 'userspace', 'kernelspace']);

export function proxyMode(entry: Entry | undefined): 'ipvs' {
  const mode = entry?.value;
  if (entry === undefined || mode === '' || mode === 'ipvs') return 'ipvs';
  if (typeof mode === 'string' && UNSUPPORTED_MODES.has(mode)) {
    return fail(entry, `ipvs-proxier implements only the ipvs proxy mode; use kube-proxy for ${mode} mode`);
  }
  return fail(entry, 'must be ipvs (an empty mode means ipvs here)');
}

export function detectLocalMode(entry: Entry | undefined): void {
  const mode = entry?.value;
  if (entry === undefined || mode === '' || mode === 'ClusterCIDR') return;
  if (mode === 'NodeCIDR' || mode === 'BridgeInterface' || mode === 'InterfaceNamePrefix') {
    fail(entry, 'not supported: ipvs-proxier tells local traffic by clusterCIDR only');
  }
  fail(entry, 'must be ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix');
}

/** kube-proxy trims and lower-cases the node name; a blank override is an error, not "unset". */
export function hostname(entry: Entry | undefined): string | undefined {
  const text = entry?.value as string | undefined;
  if (entry === undefined || text === undefined || text === '') return undefined;
  const name = text.trim().toLowerCase();
  return name === '' ? fail(entry, 'must not be blank') : name;
}

export function optionalString(entry: Entry | undefined): string | undefined {
  const text = entry?.value as string | undefined;
  return text === '' ? undefined : text;
}

export function ipAddress(entry: Entry | undefined, fallback: string): string {
  if (entry === undefined || entry.value === '') return fallback;
  return validated(entry, () => parseAddress(entry.value, CTX, entry.name).address);
}

/**
 * `ip:port`, `[ip6]:port`, or a bare IP that gets the default port (kube-proxy's
 * AppendPortIfNeeded). Empty in the file means the default; an empty flag value disables the
 * server, as `--metrics-bind-address=` does in kube-proxy.
 */
export function bindAddress(entry: Entry | undefined, defaultHost: string, defaultPort: number): string | undefined {
  if (entry === undefined || (entry.value === '' && entry.file !== undefined)) {
    return formatBindAddress({ host: defaultHost, port: defaultPort });
  }
  if (entry.value === '') return undefined;
  return validated(entry, () => formatBindAddress(parseBindAddress(entry.value as string, defaultPort, entry.name)));
}

export function scheduler(entry: Entry | undefined): IpvsScheduler {
  if (entry === undefined || entry.value === '') return DEFAULTS.scheduler;
  return validated(entry, () => parseScheduler(entry.value, CTX, entry.name));
}

export function masqueradeBit(entry: Entry | undefined): number {
  const bit = (entry?.value as number | undefined) ?? DEFAULTS.masqueradeBit;
  if (entry !== undefined && (bit < 0 || bit > 31)) fail(entry, 'must be within 0..31');
  return bit;
}

export function cidrList(entry: Entry | undefined): string[] {
  if (entry === undefined) return [];
  return validated(entry, () => (entry.value as string[]).map((c) => parseCidr(c, CTX, entry.name).cidr));
}

/** One CIDR, or a comma-separated dual-stack pair (one per family), as kube-proxy allows. */
export function clusterCIDRs(entry: Entry | undefined): string[] {
  const text = entry?.value as string | undefined;
  if (entry === undefined || text === undefined || text === '') return [];
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const cidrs = validated(entry, () => parts.map((c) => parseCidr(c, CTX, entry.name)));
  if (cidrs.length > 2 || (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family)) {
    fail(entry, 'must be one CIDR, or two of different IP families (e.g. 10.244.0.0/16,fd00:10:244::/56)');
  }
  return cidrs.map((c) => c.cidr);
}

export function nodePortAddresses(entry: Entry | undefined): NodePortAddresses {
  const list = (entry?.value as string[] | undefined) ?? [];
  if (entry === undefined || list.length === 0) return { kind: 'all' };
  for (const keyword of ['primary', 'all']) {
    if (!list.includes(keyword)) continue;
    if (list.length !== 1) fail(entry, `'${keyword}' must be the only entry`);
    return keyword === 'primary' ? { kind: 'primary' } : { kind: 'all' };
  }
  if (list.includes('localhost')) fail(entry, 'NodePorts on loopback addresses are not supported in ipvs mode');
  return { kind: 'cidrs', cidrs: cidrList(entry) };
}

/** `--external-ip-cidrs`: comma-separated CIDRs of either family; empty or unset allows every externalIP. */
export function externalIPCIDRs(text: string | undefined): string[] {
  if (text === undefined) return [];
  const entry: Entry = { value: text.split(',').map((s) => s.trim()).filter((s) => s !== ''), name: '--external-ip-cidrs', file: undefined };
  return cidrList(entry);
}

const SERVICE_NODE_PORT_RANGE_FLAG = '--service-node-port-range';

/**
 * The API server's `--service-node-port-range`, in its `FROM-TO` form (inclusive). Unset: the API
 * server's default, 30000-32767. It must match the cluster's, or valid node ports are ignored.
 */
export function serviceNodePortRange(text: string | undefined): { from: number; to: number } {
  if (text === undefined) return DEFAULT_MODEL_LIMITS.nodePortRange;
  const entry: Entry = { value: text, name: SERVICE_NODE_PORT_RANGE_FLAG, file: undefined };
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  if (match === null) return fail(entry, 'must be FROM-TO, like 30000-32767');
  const [from, to] = [Number(match[1]), Number(match[2])];
  if (from < 1 || to > 65535 || from > to) return fail(entry, 'must be FROM-TO with 1 <= FROM <= TO <= 65535');
  return { from, to };
}

/** ipvs.syncPeriod > 0 (0 in the file means the 30s default), 0 <= minSyncPeriod <= syncPeriod. */
export function syncPeriods(sync: Entry | undefined, min: Entry | undefined): { syncPeriodMs: number; minSyncPeriodMs: number } {
  const syncPeriodMs = positiveDuration(sync, DEFAULTS.syncPeriodMs);
  const minSyncPeriodMs = (min?.value as number | undefined) ?? DEFAULTS.minSyncPeriodMs;
  if (min !== undefined && minSyncPeriodMs < 0) failDuration(min, 'must be greater than or equal to 0');
  if (min !== undefined && minSyncPeriodMs > syncPeriodMs) {
    failDuration(min, `must not exceed ${sync?.name ?? 'the sync period'} (${formatDuration(syncPeriodMs)})`);
  }
  return { syncPeriodMs, minSyncPeriodMs };
}

/** Upstream defaults a zero duration in the file; a zero from a flag is kept, and refused. */
export function positiveDuration(entry: Entry | undefined, fallback: number): number {
  const ms = entry?.value as number | undefined;
  if (entry === undefined || ms === undefined || (ms === 0 && entry.file !== undefined)) return fallback;
  return ms > 0 ? ms : failDuration(entry, 'must be greater than 0');
}

/** ip_vs_set_timeout refuses more than INT_MAX / HZ seconds; HZ is at most 1000. */
const MAX_IPVS_TIMEOUT_S = Math.floor(0x7fffffff / 1000);

/** Whole seconds, as kube-proxy hands them to the kernel; 0 leaves the kernel's value alone. */
export function ipvsTimeout(entry: Entry | undefined): number {
  const ms = (entry?.value as number | undefined) ?? 0;
  if (entry === undefined) return 0;
  if (ms < 0) failDuration(entry, 'must be greater than or equal to 0');
  const seconds = Math.trunc(ms / 1000);
  return seconds <= MAX_IPVS_TIMEOUT_S ? seconds : failDuration(entry, `must be at most ${formatDuration(MAX_IPVS_TIMEOUT_S * 1000)}`);
}

/** Ranges kube-proxy validates on fields we otherwise ignore, so a file it refuses is refused here too. */
const UPSTREAM_RANGES: readonly { path: string; min: number; max: number; reason: string; duration?: true }[] = [
  { path: 'oomScoreAdj', min: -1000, max: 1000, reason: 'must be within -1000..1000' },
  { path: 'clientConnection.burst', min: 0, max: Infinity, reason: 'must be greater than or equal to 0' },
  { path: 'conntrack.maxPerCore', min: 0, max: Infinity, reason: 'must be greater than or equal to 0' },
  { path: 'conntrack.min', min: 0, max: Infinity, reason: 'must be greater than or equal to 0' },
  { path: 'conntrack.tcpEstablishedTimeout', min: 0, max: Infinity, reason: 'must be greater than or equal to 0', duration: true },
  { path: 'conntrack.tcpCloseWaitTimeout', min: 0, max: Infinity, reason: 'must be greater than or equal to 0', duration: true },
  { path: 'conntrack.udpTimeout', min: 0, max: Infinity, reason: 'must be greater than or equal to 0', duration: true },
  { path: 'conntrack.udpStreamTimeout', min: 0, max: Infinity, reason: 'must be greater than or equal to 0', duration: true },
  { path: 'configSyncPeriod', min: 0, max: Infinity, reason: 'must be greater than 0', duration: true },
];

export function checkUpstreamRanges(pick: Pick): void {
  for (const { path, min, max, reason, duration } of UPSTREAM_RANGES) {
    const entry = pick(path);
    const n = entry?.value as number | undefined;
    if (entry === undefined || n === undefined || (n >= min && n <= max)) continue;
    if (duration === true) failDuration(entry, reason);
    else fail(entry, reason);
  }
}
