/** Command-line flags → validated settings. kube-proxy's flag names; bad values fail with one line naming the flag. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../errors.ts';
import { parseCidr, parseScheduler, type IpFamily, type IpvsScheduler } from '../validate/validate.ts';
import { parseDuration } from './duration.ts';

export interface CliSettings {
  readonly manifests: string | undefined;
  readonly dryRun: boolean;
  readonly once: boolean;
  readonly cleanup: boolean;
  readonly hostname: string | undefined;
  readonly scheduler: IpvsScheduler;
  readonly clusterCIDRs: readonly string[];
  readonly masqueradeAll: boolean;
  readonly masqueradeBit: number;
  readonly excludeCIDRs: readonly string[];
  readonly syncPeriodMs: number;
  readonly minSyncPeriodMs: number;
  readonly ipvsBackend: 'netlink' | 'ipvsadm';
  readonly iptablesBackend: 'legacy' | 'nft' | undefined;
  readonly families: readonly IpFamily[];
  readonly logLevel: string;
}

/** Go's strconv.ParseBool spellings, so `--masquerade-all=false` works as in kube-proxy. */
export function parseBool(value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new InvalidArgumentError('must be true or false');
}

function wrap<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (error) {
      if (error instanceof ValidationError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

const cidrList = (flag: string) => wrap((v: string) => v.split(',').filter((s) => s !== '').map((s) => parseCidr(s.trim(), { operation: 'parse flags' }, flag).cidr));
const LOG_LEVELS: Record<string, string> = { 0: 'info', 1: 'info', 2: 'info', 3: 'debug', 4: 'debug', 5: 'trace' };

export function buildCommand(): Command {
  return new Command('ipvs-proxier')
    .description('IPVS-mode Kubernetes service proxy (drop-in for kube-proxy --proxy-mode=ipvs)')
    .option('--manifests <dir>', 'read Services and EndpointSlices from this directory and watch it (no-cluster mode)')
    .option('--dry-run', 'print the plan against the current kernel state and touch nothing', false)
    .option('--once', 'sync once and exit', false)
    .option('--cleanup', 'remove every kernel object ipvs-proxier owns (and nothing else), then exit', false)
    .option('--hostname-override <name>', 'node name used to tell local endpoints (default: the hostname)')
    .addOption(new Option('--ipvs-scheduler <name>', 'IPVS scheduler').default('rr').argParser(wrap((v) => parseScheduler(v, { operation: 'parse flags' }, '--ipvs-scheduler'))))
    .addOption(new Option('--cluster-cidr <cidrs>', 'pod CIDRs (comma-separated); traffic from outside them to a ClusterIP is masqueraded').default([]).argParser(cidrList('--cluster-cidr')))
    .addOption(new Option('--masquerade-all [bool]', 'SNAT all traffic sent via service cluster IPs').default(false).argParser(parseBool))
    .addOption(new Option('--masquerade-bit <bit>', 'fwmark bit that marks packets for SNAT (0-31)').default(14).argParser(wrap(bitParser)))
    .addOption(new Option('--ipvs-exclude-cidrs <cidrs>', 'CIDRs whose virtual servers are never cleaned up').default([]).argParser(cidrList('--ipvs-exclude-cidrs')))
    .addOption(new Option('--ipvs-sync-period <duration>', 'maximum interval between full syncs').default(30_000).argParser(wrap((v) => positive(parseDuration(v, '--ipvs-sync-period'), '--ipvs-sync-period'))))
    .addOption(new Option('--ipvs-min-sync-period <duration>', 'minimum interval between syncs').default(1000).argParser(wrap((v) => parseDuration(v, '--ipvs-min-sync-period'))))
    .addOption(new Option('--ipvs-backend <backend>', 'how IPVS is programmed').choices(['netlink', 'ipvsadm']).default('netlink'))
    .addOption(new Option('--iptables-backend <backend>', 'iptables binaries to use (default: $IPVS_PROXIER_IPTABLES_BACKEND, else nft)').choices(['legacy', 'nft']))
    .addOption(new Option('--ip-families <list>', 'IP families to serve: 4, 6 or 4,6 (default: those of --cluster-cidr, else 4)').argParser(wrap(familiesParser)))
    .addOption(new Option('--v <level>', 'log verbosity (0-2 info, 3-4 debug, 5 trace)').default('2').argParser((v) => {
      if (!(v in LOG_LEVELS)) throw new InvalidArgumentError('must be 0..5');
      return v;
    }))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
}

export function settingsFrom(command: Command): CliSettings {
  const o = command.opts<Record<string, unknown>>();
  const clusterCIDRs = o['clusterCidr'] as string[];
  const families = (o['ipFamilies'] as IpFamily[] | undefined)
    ?? (clusterCIDRs.length > 0 ? [...new Set(clusterCIDRs.map((c) => (c.includes(':') ? 6 : 4)))].sort() : [4]);
  // As kube-proxy's validation: a minimum above the maximum would make every sync a periodic one.
  if ((o['ipvsMinSyncPeriod'] as number) > (o['ipvsSyncPeriod'] as number)) {
    command.error("error: option '--ipvs-min-sync-period <duration>' must not exceed --ipvs-sync-period", { code: 'commander.invalidArgument' });
  }
  return {
    manifests: o['manifests'] as string | undefined,
    dryRun: o['dryRun'] as boolean,
    once: (o['once'] as boolean) || (o['dryRun'] as boolean),
    cleanup: o['cleanup'] as boolean,
    hostname: o['hostnameOverride'] as string | undefined,
    scheduler: o['ipvsScheduler'] as IpvsScheduler,
    clusterCIDRs,
    masqueradeAll: o['masqueradeAll'] as boolean,
    masqueradeBit: o['masqueradeBit'] as number,
    excludeCIDRs: o['ipvsExcludeCidrs'] as string[],
    syncPeriodMs: o['ipvsSyncPeriod'] as number,
    minSyncPeriodMs: o['ipvsMinSyncPeriod'] as number,
    ipvsBackend: o['ipvsBackend'] as 'netlink' | 'ipvsadm',
    iptablesBackend: o['iptablesBackend'] as 'legacy' | 'nft' | undefined,
    families,
    logLevel: LOG_LEVELS[o['v'] as string] ?? 'info',
  };
}

function bitParser(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 31) throw new InvalidArgumentError('must be an integer 0..31');
  return n;
}

function positive(ms: number, flag: string): number {
  if (ms <= 0) throw new ValidationError(flag, ms, 'must be greater than 0', { operation: 'parse flags' });
  return ms;
}

function familiesParser(v: string): IpFamily[] {
  const parts = v.split(',');
  if (!parts.every((p) => p === '4' || p === '6') || new Set(parts).size !== parts.length) {
    throw new InvalidArgumentError('must be 4, 6 or 4,6');
  }
  return parts.map((p) => Number(p) as IpFamily);
}
