/**
 * Pure parsers of ipvsadm 1.31 output (formats captured in the sandbox; see the unit tests):
 *
 *   -S -n                   restore grammar: `-A -t 10.0.0.1:80 -s rr -p 300 -M 255.255.255.0`,
 *                           `-A -f 8 -6 -s lc`, `-a -t [fd00::1]:443 -r [fd01::1]:8443 -m -w 1`
 *   -L -n --exact           `TCP  10.0.0.1:80 rr` / `  -> 10.1.0.1:8080  Masq  3  0  0`
 *   -L -n --thresholds      `  -> RemoteAddress:Port  Uthreshold Lthreshold ActiveConn InActConn`
 *   -L -n --persistent-conn `  -> RemoteAddress:Port  Weight PersistConn ActiveConn InActConn`
 *   -L -n --stats --exact   `TCP  10.0.0.1:80  Conns InPkts OutPkts InBytes OutBytes` (and dests)
 *   -L -n --timeout         `Timeout (tcp tcpfin udp): 900 120 300`
 *
 * ipvsadm prints fwmarks as signed ints (`-f -1` for 4294967295); they are read back unsigned.
 */
import { ProxierError } from '../../errors.ts';
import { parseAddress, parseProtocol, type IpFamily } from '../../validate/validate.ts';
import { defaultNetmask } from './validate.ts';
import {
  ServiceFlag, describeRealServer, describeVirtualServer,
  type ForwardMethod, type IpvsStats, type IpvsTimeouts, type RealServer, type RealServerKey,
  type VirtualServer, type VirtualServerKey,
} from './types.ts';

export interface SavedService {
  readonly service: VirtualServer;
  readonly destinations: RealServer[];
}

function outputError(detail: string, line: string): ProxierError {
  return new ProxierError('ERR_IPVSADM_OUTPUT', `unexpected ipvsadm output (${detail}): ${JSON.stringify(line)}`, {
    operation: 'ipvsadm.parse',
  });
}

const ctx = { operation: 'ipvsadm.parse' };

/** `10.0.0.1:80` or `[fd00::1]:80`. */
export function parseHostPort(text: string): RealServerKey {
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const v4 = /^([^:[\]]+):(\d+)$/.exec(text);
  const match = v6 ?? v4;
  if (match === null) throw outputError('address:port', text);
  const { address, family } = parseAddress(match[1], ctx);
  const port = Number(match[2]);
  if (port > 65535) throw outputError('port', text);
  return { family, address, port };
}

function parseUnsigned(text: string | undefined, line: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw outputError('number', line);
  return Number(text);
}

/** ipvsadm prints a fwmark with %d. */
function parseFwmark(text: string | undefined, line: string): number {
  if (text === undefined || !/^-?\d+$/.test(text)) throw outputError('fwmark', line);
  return Number(text) >>> 0;
}

function parseNetmask(family: IpFamily, text: string | undefined, line: string): number {
  if (family === 6) return parseUnsigned(text, line);
  const parts = (text ?? '').split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw outputError('netmask', line);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** ipvsadm's names for IP_VS_SVC_F_SCHED{1,2,3}: generic and the sh/mh aliases. */
const SCHED_FLAG_NAMES: Readonly<Record<string, number>> = {
  'flag-1': ServiceFlag.SCHED1, 'flag-2': ServiceFlag.SCHED2, 'flag-3': ServiceFlag.SCHED3,
  'sh-fallback': ServiceFlag.SCHED1, 'sh-port': ServiceFlag.SCHED2,
  'mh-fallback': ServiceFlag.SCHED1, 'mh-port': ServiceFlag.SCHED2,
};

function parseSchedFlags(text: string, line: string): number {
  let flags = 0;
  for (const name of text.split(',').filter((n) => n !== '')) {
    const bit = SCHED_FLAG_NAMES[name];
    if (bit === undefined) throw outputError(`scheduler flag ${name}`, line);
    flags |= bit;
  }
  return flags;
}

/** Consumes the virtual-service switch at tokens[i]; returns the key and the next index. */
function parseServiceSwitch(tokens: readonly string[], i: number, line: string): { key: VirtualServerKey; next: number } {
  const flag = tokens[i];
  const value = tokens[i + 1] ?? '';
  if (flag === '-f') {
    const fwmark = parseFwmark(value, line);
    if (tokens[i + 2] === '-6') return { key: { kind: 'fwmark', family: 6, fwmark }, next: i + 3 };
    return { key: { kind: 'fwmark', family: 4, fwmark }, next: i + 2 };
  }
  const protocol = flag === '-t' ? 'TCP' : flag === '-u' ? 'UDP' : flag === '--sctp-service' ? 'SCTP' : undefined;
  if (protocol === undefined) throw outputError('virtual service', line);
  const { family, address, port } = parseHostPort(value);
  return { key: { kind: 'address', family, protocol, address, port }, next: i + 2 };
}

function parseServiceLine(tokens: readonly string[], line: string): VirtualServer {
  const { key, next } = parseServiceSwitch(tokens, 1, line);
  let scheduler = '';
  let flags = 0;
  let timeout = 0;
  let netmask = defaultNetmask(key.family);
  for (let i = next; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '-s') scheduler = tokens[++i] ?? '';
    else if (token === '-p') { flags |= ServiceFlag.PERSISTENT; timeout = parseUnsigned(tokens[++i], line); }
    else if (token === '-M') netmask = parseNetmask(key.family, tokens[++i], line);
    // ipvsadm prints `-b ` with nothing after it for sh/mh flag-3 (it has no alias for it).
    else if (token === '-b') flags |= tokens[i + 1]?.startsWith('-') === false ? parseSchedFlags(tokens[++i] ?? '', line) : 0;
    else if (token === '-o' || token === 'ops') flags |= ServiceFlag.ONEPACKET;
    else if (token === 'pe' || token === '--pe') i++;
    else throw outputError(`service option ${token ?? ''}`, line);
  }
  if (scheduler === '') throw outputError('scheduler', line);
  return { key, scheduler, flags, timeout, netmask };
}

const SAVE_FORWARD: Readonly<Record<string, ForwardMethod>> = { '-m': 'masq', '-g': 'droute', '-i': 'tunnel' };
/** Tunnel options printed by -S that carry a value; we do not model them. */
const TUNNEL_OPTIONS = new Set(['--tun-type', '--tun-port']);

function parseDestinationLine(tokens: readonly string[], line: string): { service: VirtualServerKey; destination: RealServer } {
  const { key, next } = parseServiceSwitch(tokens, 1, line);
  if (tokens[next] !== '-r') throw outputError('real server', line);
  const dest = parseHostPort(tokens[next + 1] ?? '');
  let forward: ForwardMethod = 'droute';
  let weight = 1;
  let upperThreshold = 0;
  let lowerThreshold = 0;
  for (let i = next + 2; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const method = SAVE_FORWARD[token];
    if (method !== undefined) forward = method;
    else if (token === '-w') weight = parseUnsigned(tokens[++i], line);
    else if (token === '-x') upperThreshold = parseUnsigned(tokens[++i], line);
    else if (token === '-y') lowerThreshold = parseUnsigned(tokens[++i], line);
    else if (TUNNEL_OPTIONS.has(token)) i++;
    else if (!token.startsWith('--tun-')) throw outputError(`server option ${token}`, line);
  }
  // -S does not print thresholds (our restore lines carry them); dump() reads `-L --thresholds`.
  return { service: key, destination: { ...dest, forward, weight, upperThreshold, lowerThreshold } };
}

/** `ipvsadm -S -n` output. Note -S prints Local forwarding as -g and omits thresholds. */
export function parseSave(text: string): SavedService[] {
  const services = new Map<string, SavedService>();
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length === 0) continue;
    if (tokens[0] === '-A') {
      const service = parseServiceLine(tokens, line);
      services.set(describeVirtualServer(service.key), { service, destinations: [] });
    } else if (tokens[0] === '-a') {
      const { service, destination } = parseDestinationLine(tokens, line);
      const entry = services.get(describeVirtualServer(service));
      if (entry === undefined) throw outputError('server before its service', line);
      entry.destinations.push(destination);
    } else {
      throw outputError('save line', line);
    }
  }
  return [...services.values()];
}

/** Rows of one `-L` listing: service line tail and destination rows, keyed like describe*(). */
export interface ListedService {
  readonly key: VirtualServerKey;
  /** Tokens after the service address (scheduler and flags, or the stats columns). */
  readonly columns: readonly string[];
  readonly destinations: Map<string, { readonly key: RealServerKey; readonly columns: readonly string[] }>;
}

function parseListedServiceKey(tokens: readonly string[], line: string): { key: VirtualServerKey; rest: readonly string[] } {
  if (tokens[0] === 'FWM') {
    const fwmark = parseFwmark(tokens[1], line);
    if (tokens[2] === 'IPv6') return { key: { kind: 'fwmark', family: 6, fwmark }, rest: tokens.slice(3) };
    return { key: { kind: 'fwmark', family: 4, fwmark }, rest: tokens.slice(2) };
  }
  const protocol = parseProtocol(tokens[0], ctx);
  const { family, address, port } = parseHostPort(tokens[1] ?? '');
  return { key: { kind: 'address', family, protocol, address, port }, rest: tokens.slice(2) };
}

/** One `-L -n` listing (any column set), without its header lines. */
export function parseListing(lines: readonly string[]): Map<string, ListedService> {
  const services = new Map<string, ListedService>();
  let current: ListedService | undefined;
  for (const line of lines) {
    if (line.trim() === '' || line.startsWith('IP Virtual Server') || line.startsWith('Prot ') || line.startsWith('  -> RemoteAddress')) continue;
    const tokens = line.trim().split(/\s+/);
    if (tokens[0] === '->') {
      if (current === undefined) throw outputError('server before its service', line);
      const key = parseHostPort(tokens[1] ?? '');
      current.destinations.set(describeRealServer(key), { key, columns: tokens.slice(2) });
      continue;
    }
    const { key, rest } = parseListedServiceKey(tokens, line);
    current = { key, columns: rest, destinations: new Map() };
    services.set(describeVirtualServer(key), current);
  }
  return services;
}

/**
 * Splits the stdout of an `ipvsadm -R` that ran `-S -n` and/or `-L` commands: the -S lines come
 * first, each `-L` listing starts with a `Prot LocalAddress:Port` header (preceded by the
 * `IP Virtual Server version` line when the whole table is listed).
 */
export function splitOutput(text: string): { save: string; listings: string[][] } {
  const lines = text.split('\n');
  const save: string[] = [];
  const listings: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('IP Virtual Server')) continue;
    if (line.startsWith('Prot ')) listings.push([]);
    else if (listings.length === 0) save.push(line);
    else listings[listings.length - 1]?.push(line);
  }
  return { save: save.join('\n'), listings };
}

export function parseStatsColumns(columns: readonly string[], line = columns.join(' ')): IpvsStats {
  const tail = columns.slice(-5);
  if (tail.length !== 5) throw outputError('stats columns', line);
  const [connections, packetsIn, packetsOut, bytesIn, bytesOut] = tail.map((c) => parseUnsigned(c, line)) as [number, number, number, number, number];
  return { connections, packetsIn, packetsOut, bytesIn, bytesOut };
}

const LIST_FORWARD: Readonly<Record<string, ForwardMethod>> = {
  Masq: 'masq', Local: 'local', Tunnel: 'tunnel', Route: 'droute',
  // ipvsadm's fwd_name() has no name for IP_VS_CONN_F_BYPASS and printf prints the NULL.
  '(null)': 'bypass',
};

/** Columns of a `-L -n --exact` destination row: Forward Weight ActiveConn InActConn. */
export function parsePlainDestination(columns: readonly string[]): { forward: ForwardMethod; weight: number; activeConnections: number; inactiveConnections: number } {
  const line = columns.join(' ');
  const forward = LIST_FORWARD[columns[0] ?? ''];
  if (forward === undefined || columns.length !== 4) throw outputError('server row', line);
  return {
    forward, weight: parseUnsigned(columns[1], line),
    activeConnections: parseUnsigned(columns[2], line), inactiveConnections: parseUnsigned(columns[3], line),
  };
}

/** Columns of a --thresholds or --persistent-conn row: four numbers. */
export function parseFourNumbers(columns: readonly string[]): [number, number, number, number] {
  const line = columns.join(' ');
  if (columns.length !== 4) throw outputError('four columns', line);
  return columns.map((c) => parseUnsigned(c, line)) as [number, number, number, number];
}

/** `Timeout (tcp tcpfin udp): 900 120 300`. */
export function parseTimeouts(text: string): IpvsTimeouts {
  const match = /^Timeout \(tcp tcpfin udp\): (\d+) (\d+) (\d+)$/m.exec(text);
  if (match === null) throw outputError('timeouts', text.trim());
  return { tcp: Number(match[1]), tcpFin: Number(match[2]), udp: Number(match[3]) };
}
