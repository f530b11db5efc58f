/**
 * In-memory IPVS that enforces what net/netfilter/ipvs/ip_vs_ctl.c enforces, with the errnos a
 * real kernel returns (verified in the sandbox with ipvsadm, see test/sandbox/ipvs-ipvsadm.test.ts):
 *
 *   add service      EEXIST if present; ENOENT for a scheduler the kernel does not have;
 *                    EINVAL for an IPv6 netmask outside 1..128 (validate.ts refuses it first)
 *   edit service     ESRCH if missing; then the same scheduler/netmask checks
 *   delete service   ESRCH if missing
 *   destination ops  ESRCH when the service is missing (checked first, as ip_vs_genl_set_cmd does);
 *                    EINVAL for a family other than the service's unless forwarding is tunnel;
 *                    add/edit: ERANGE for weight > INT_MAX (negative int) or lower > upper threshold;
 *                    add: EEXIST; edit/delete: ENOENT when the destination is missing
 *
 * Each operation succeeds or fails on its own, as each netlink message does. HASHED is never
 * reported. Listings are sorted (family, kind, protocol, address bytes, port) so tests are stable.
 */
import ipaddr from 'ipaddr.js';
import { Errno, KernelError, ProxierError } from '../../errors.ts';
import { IPVS_SCHEDULERS } from '../../validate/validate.ts';
import { normalizeOperation, normalizeRealServerKey, normalizeServiceKey } from './validate.ts';
import {
  describeRealServer, describeVirtualServer,
  type Ipvs, type IpvsApplyResult, type IpvsOperation, type IpvsOperationFailure, type IpvsStats, type IpvsTimeouts,
  type RealServer, type RealServerKey, type RealServerStatus, type VirtualServer, type VirtualServerDump,
  type VirtualServerKey, type VirtualServerStatus,
} from './types.ts';

/** Schedulers of Linux 6.1 (Debian bookworm, the sandbox): ip_vs_twos arrived in 6.2. */
export const LINUX_6_1_SCHEDULERS: readonly string[] = IPVS_SCHEDULERS.filter((s) => s !== 'twos');

/** ip_vs_ctl.c defaults: IP_VS_TCP_S_ESTABLISHED 15 min, FIN_WAIT 2 min, UDP 5 min. */
export const DEFAULT_TIMEOUTS: IpvsTimeouts = { tcp: 900, tcpFin: 120, udp: 300 };
/** ip_vs_set_timeout refuses more than INT_MAX / HZ seconds; Debian builds with HZ=250. */
const MAX_TIMEOUT_SECONDS = Math.floor(0x7fffffff / 250);

const ZERO_STATS: IpvsStats = { connections: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };

export interface FakeIpvsOptions {
  /** Schedulers the fake kernel has; others fail with ENOENT. Default: Linux 6.1's. */
  readonly schedulers?: readonly string[];
  readonly timeouts?: IpvsTimeouts;
}

export interface DestinationCounters {
  readonly activeConnections?: number;
  readonly inactiveConnections?: number;
  readonly persistentConnections?: number;
  readonly stats?: IpvsStats;
}

/** One apply()'d operation and how it ended, for assertions. */
export interface FakeIpvsLogEntry {
  readonly operation: IpvsOperation;
  readonly errno: number | undefined;
}

interface DestEntry {
  dest: RealServer;
  activeConnections: number;
  inactiveConnections: number;
  persistentConnections: number;
  stats: IpvsStats;
}

interface ServiceEntry {
  service: VirtualServer;
  stats: IpvsStats;
  readonly dests: Map<string, DestEntry>;
}

function serviceId(key: VirtualServerKey): string {
  return describeVirtualServer(key);
}

function addressBytes(address: string): number[] {
  return ipaddr.parse(address).toByteArray();
}

function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? -1) - (b[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

export function compareServiceKeys(a: VirtualServerKey, b: VirtualServerKey): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.kind !== b.kind) return a.kind === 'address' ? -1 : 1;
  if (a.kind === 'fwmark' || b.kind === 'fwmark') {
    return (a.kind === 'fwmark' ? a.fwmark : 0) - (b.kind === 'fwmark' ? b.fwmark : 0);
  }
  if (a.protocol !== b.protocol) return a.protocol < b.protocol ? -1 : 1;
  return compareBytes(addressBytes(a.address), addressBytes(b.address)) || a.port - b.port;
}

export function compareRealServerKeys(a: RealServerKey, b: RealServerKey): number {
  return a.family - b.family || compareBytes(addressBytes(a.address), addressBytes(b.address)) || a.port - b.port;
}

export class FakeIpvs implements Ipvs {
  /** Operations passed to apply() (failed ones included): 0 after a sync that changed nothing. */
  writes = 0;
  /** Number of apply() calls that carried at least one operation. */
  applyCalls = 0;
  /** setTimeouts() calls. */
  timeoutWrites = 0;
  readonly log: FakeIpvsLogEntry[] = [];

  readonly #services = new Map<string, ServiceEntry>();
  readonly #schedulers: ReadonlySet<string>;
  #timeouts: IpvsTimeouts;
  #closed = false;

  constructor(options: FakeIpvsOptions = {}) {
    this.#schedulers = new Set(options.schedulers ?? LINUX_6_1_SCHEDULERS);
    this.#timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  }

  apply(operations: readonly IpvsOperation[]): Promise<IpvsApplyResult> {
    return this.#run(() => {
      const normalized = operations.map(normalizeOperation);
      if (normalized.length > 0) this.applyCalls++;
      this.writes += normalized.length;
      const result = this.applySync(normalized);
      for (const [index, operation] of normalized.entries()) {
        const failure = result.failures.find((f) => f.index === index);
        this.log.push({ operation, errno: failure?.error instanceof KernelError ? failure.error.errno : undefined });
      }
      // Failures name the caller's own operation objects.
      const failures = result.failures.map((f) => ({ ...f, operation: f.index === undefined ? undefined : operations[f.index] }));
      return { attempted: result.attempted, failures };
    });
  }

  /**
   * Applies already-normalized operations without validation or bookkeeping. IpvsadmIpvs uses it
   * to replay a batch on a snapshot and learn which lines the kernel refused, and why.
   */
  applySync(operations: readonly IpvsOperation[]): IpvsApplyResult {
    const failures: IpvsOperationFailure[] = [];
    for (const [index, operation] of operations.entries()) {
      try {
        this.#applyOne(operation);
      } catch (error) {
        if (!(error instanceof KernelError)) throw error;
        failures.push({ index, operation, error });
      }
    }
    return { attempted: operations.length, failures };
  }

  listServices(): Promise<VirtualServerStatus[]> {
    return this.#run(() => this.#sortedServices().map((e) => ({ ...e.service, stats: e.stats })));
  }

  listDestinations(service: VirtualServerKey): Promise<RealServerStatus[]> {
    return this.#run(() => {
      // The kernel's destination dump of a missing service is empty, not an error.
      const entry = this.#services.get(serviceId(normalizeServiceKey(service, 'ipvs.listDestinations')));
      return entry === undefined ? [] : this.#destinations(entry);
    });
  }

  dump(): Promise<VirtualServerDump[]> {
    return this.#run(() => this.#sortedServices().map((e) => ({
      service: { ...e.service, stats: e.stats },
      destinations: this.#destinations(e),
    })));
  }

  getTimeouts(): Promise<IpvsTimeouts> {
    return this.#run(() => ({ ...this.#timeouts }));
  }

  setTimeouts(timeouts: IpvsTimeouts): Promise<void> {
    return this.#run(() => {
      this.timeoutWrites++;
      const values = [timeouts.tcp, timeouts.tcpFin, timeouts.udp];
      if (values.some((v) => !Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_SECONDS)) {
        throw new KernelError(Errno.EINVAL, { operation: 'ipvs.setTimeouts' });
      }
      // 0 leaves the kernel's value (ip_vs_set_timeout only copies non-zero fields).
      this.#timeouts = {
        tcp: timeouts.tcp || this.#timeouts.tcp,
        tcpFin: timeouts.tcpFin || this.#timeouts.tcpFin,
        udp: timeouts.udp || this.#timeouts.udp,
      };
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Test hook: connection counters and stats of a destination (traffic the fake cannot see). */
  setDestinationCounters(service: VirtualServerKey, destination: RealServerKey, counters: DestinationCounters): void {
    const entry = this.#requireDest(service, destination);
    entry.activeConnections = counters.activeConnections ?? entry.activeConnections;
    entry.inactiveConnections = counters.inactiveConnections ?? entry.inactiveConnections;
    entry.persistentConnections = counters.persistentConnections ?? entry.persistentConnections;
    entry.stats = counters.stats ?? entry.stats;
  }

  /** Test hook: stats of a service. */
  setServiceStats(service: VirtualServerKey, stats: IpvsStats): void {
    const entry = this.#services.get(serviceId(normalizeServiceKey(service, 'fake.setServiceStats')));
    if (entry === undefined) throw new Error(`fake: no service ${describeVirtualServer(service)}`);
    entry.stats = stats;
  }

  /** Clears writes/applyCalls/timeoutWrites and the log (state is kept). */
  resetCounters(): void {
    this.writes = 0;
    this.applyCalls = 0;
    this.timeoutWrites = 0;
    this.log.length = 0;
  }

  #run<T>(body: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new ProxierError('ERR_NETLINK_CLOSED', 'IPVS handle is closed', { operation: 'ipvs' }));
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #requireDest(service: VirtualServerKey, destination: RealServerKey): DestEntry {
    const key = normalizeServiceKey(service, 'fake.setDestinationCounters');
    const dest = normalizeRealServerKey(destination, { operation: 'fake.setDestinationCounters' });
    const entry = this.#services.get(serviceId(key))?.dests.get(describeRealServer(dest));
    if (entry === undefined) throw new Error(`fake: no destination ${describeRealServer(dest)} in ${describeVirtualServer(key)}`);
    return entry;
  }

  #sortedServices(): ServiceEntry[] {
    return [...this.#services.values()].sort((a, b) => compareServiceKeys(a.service.key, b.service.key));
  }

  #destinations(entry: ServiceEntry): RealServerStatus[] {
    return [...entry.dests.values()]
      .sort((a, b) => compareRealServerKeys(a.dest, b.dest))
      .map((d) => ({
        ...d.dest, activeConnections: d.activeConnections, inactiveConnections: d.inactiveConnections,
        persistentConnections: d.persistentConnections, stats: d.stats,
      }));
  }

  #applyOne(op: IpvsOperation): void {
    switch (op.op) {
      case 'addService': return this.#addService(op.service);
      case 'updateService': return this.#updateService(op.service);
      case 'deleteService': return this.#deleteService(op.key);
      case 'addDestination': return this.#addDestination(op.service, op.destination);
      case 'updateDestination': return this.#updateDestination(op.service, op.destination);
      case 'deleteDestination': return this.#deleteDestination(op.service, op.destination);
    }
  }

  #checkServiceSettings(service: VirtualServer, operation: string): void {
    const object = describeVirtualServer(service.key);
    if (!this.#schedulers.has(service.scheduler)) {
      throw new KernelError(Errno.ENOENT, { operation, object }, `scheduler ${service.scheduler} not found`);
    }
    if (service.key.family === 6 && (service.netmask < 1 || service.netmask > 128)) {
      throw new KernelError(Errno.EINVAL, { operation, object }, 'IPv6 netmask must be 1..128');
    }
  }

  #addService(service: VirtualServer): void {
    const id = serviceId(service.key);
    if (this.#services.has(id)) throw new KernelError(Errno.EEXIST, { operation: 'ipvs.addService', object: id });
    this.#checkServiceSettings(service, 'ipvs.addService');
    this.#services.set(id, { service, stats: ZERO_STATS, dests: new Map() });
  }

  #updateService(service: VirtualServer): void {
    const entry = this.#requireService(service.key, 'ipvs.updateService');
    this.#checkServiceSettings(service, 'ipvs.updateService');
    entry.service = service;
  }

  #deleteService(key: VirtualServerKey): void {
    this.#requireService(key, 'ipvs.deleteService');
    this.#services.delete(serviceId(key));
  }

  #requireService(key: VirtualServerKey, operation: string): ServiceEntry {
    const entry = this.#services.get(serviceId(key));
    if (entry === undefined) throw new KernelError(Errno.ESRCH, { operation, object: serviceId(key) });
    return entry;
  }

  #checkDestination(entry: ServiceEntry, dest: RealServer, operation: string, object: string): void {
    if (dest.family !== entry.service.key.family && dest.forward !== 'tunnel') {
      throw new KernelError(Errno.EINVAL, { operation, object }, 'mixed families need tunnel forwarding');
    }
    // The kernel keeps weight as int: a u32 above INT_MAX arrives negative.
    if (dest.weight > 0x7fffffff) throw new KernelError(Errno.ERANGE, { operation, object }, 'weight below zero');
    if (dest.lowerThreshold > dest.upperThreshold) {
      throw new KernelError(Errno.ERANGE, { operation, object }, 'lower threshold above upper threshold');
    }
  }

  #addDestination(key: VirtualServerKey, dest: RealServer): void {
    const object = `${describeVirtualServer(key)} -> ${describeRealServer(dest)}`;
    const entry = this.#requireService(key, 'ipvs.addDestination');
    this.#checkDestination(entry, dest, 'ipvs.addDestination', object);
    const id = describeRealServer(dest);
    if (entry.dests.has(id)) throw new KernelError(Errno.EEXIST, { operation: 'ipvs.addDestination', object });
    entry.dests.set(id, { dest, activeConnections: 0, inactiveConnections: 0, persistentConnections: 0, stats: ZERO_STATS });
  }

  #updateDestination(key: VirtualServerKey, dest: RealServer): void {
    const object = `${describeVirtualServer(key)} -> ${describeRealServer(dest)}`;
    const entry = this.#requireService(key, 'ipvs.updateDestination');
    this.#checkDestination(entry, dest, 'ipvs.updateDestination', object);
    const existing = entry.dests.get(describeRealServer(dest));
    if (existing === undefined) throw new KernelError(Errno.ENOENT, { operation: 'ipvs.updateDestination', object });
    existing.dest = dest;
  }

  #deleteDestination(key: VirtualServerKey, dest: RealServerKey): void {
    const object = `${describeVirtualServer(key)} -> ${describeRealServer(dest)}`;
    const entry = this.#requireService(key, 'ipvs.deleteDestination');
    if (!entry.dests.delete(describeRealServer(dest))) {
      throw new KernelError(Errno.ENOENT, { operation: 'ipvs.deleteDestination', object });
    }
  }
}

/** A fake pre-loaded with services and destinations (counters zero), e.g. from a parsed `ipvsadm -S`. */
export function fakeFromState(
  state: readonly { service: VirtualServer; destinations: readonly RealServer[] }[],
  options: FakeIpvsOptions = {},
): FakeIpvs {
  const fake = new FakeIpvs({ ...options, schedulers: [...(options.schedulers ?? LINUX_6_1_SCHEDULERS), ...state.map((s) => s.service.scheduler)] });
  const ops: IpvsOperation[] = [];
  for (const { service, destinations } of state) {
    ops.push({ op: 'addService', service });
    for (const destination of destinations) ops.push({ op: 'addDestination', service: service.key, destination });
  }
  fake.applySync(ops);
  return fake;
}

