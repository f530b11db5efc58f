/**
 * The healthCheckNodePort servers (upstream pkg/proxy/healthcheck/service_health.go): one HTTP
 * server per LoadBalancer Service with externalTrafficPolicy Local, which a cloud load balancer
 * probes to learn whether this node may receive the Service's traffic. Any path and method:
 *
 *   200 when the node has ≥1 local ready endpoint AND the proxy is healthy, else 503
 *   {"service":{"namespace":…,"name":…},"localEndpoints":N,"serviceProxyHealthy":b} (upstream's bytes)
 *   X-Load-Balancing-Endpoint-Weight: N (GCE's weighted load balancing reads it)
 *
 * `sync()` runs after every proxier sync: servers open and close as services come and go or their
 * port changes. A port that cannot be bound is reported once and retried on every later sync, as
 * upstream retries it (it never enters its map), never failing the sync.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FamilyConfig } from '../desired/config.ts';
import type { HealthCheckTarget } from '../desired/health-check.ts';
import { ProxierError } from '../errors.ts';
import type { ServiceName } from '../model/types.ts';
import type { BindAddress } from './bind-address.ts';
import { serveHttp, type HttpEndpoint } from './http-server.ts';

export interface ServiceHealthOptions {
  /** The services to answer for and their local endpoint counts (Proxier.healthChecks). */
  readonly targets: () => ReadonlyMap<ServiceName, HealthCheckTarget>;
  /** Addresses every server listens on (healthCheckHosts; tests inject 127.0.0.1). */
  readonly hosts: () => readonly string[];
  /** Upstream's healthzServer.Health().Healthy: the proxy's health, without node eligibility. */
  readonly proxyHealthy: () => boolean;
  /** A port that cannot be bound, once per service and port until it binds. */
  readonly onListenError?: ((error: ProxierError) => void) | undefined;
  readonly onOpened?: ((target: HealthCheckTarget, addresses: readonly BindAddress[]) => void) | undefined;
  /** A request that failed while being answered. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

interface Instance {
  readonly port: number;
  readonly hostsKey: string;
  readonly servers: readonly HttpEndpoint[];
  /** Replaced on every sync; the handler reads the newest count. */
  target: HealthCheckTarget;
}

/**
 * Where the servers listen. Upstream listens on 0.0.0.0 (Go makes that dual-stack) when
 * --nodeport-addresses is unset, and on the matching node IPs otherwise. We do the same, with
 * `::` (dual-stack in Node too) when the node serves IPv6: the wildcard follows address changes
 * without rebinding, and a probe to any node IP is answered. The node IPs, unlike upstream's list
 * read once at startup, follow the node's addresses: a change reopens the servers.
 */
export function healthCheckHosts(configs: readonly FamilyConfig[]): string[] {
  if (configs.length === 0 || configs[0]?.nodePortAddresses.kind === 'all') {
    return [configs.some((c) => c.family === 6) ? '::' : '0.0.0.0'];
  }
  return [...new Set(configs.flatMap((c) => c.nodePortIPs))];
}

export class ServiceHealthServers {
  private readonly o: ServiceHealthOptions;
  private readonly open = new Map<ServiceName, Instance>();
  /** `port|hosts` of each service's last reported listen failure, so a retry that fails again stays quiet. */
  private readonly failed = new Map<ServiceName, string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: ServiceHealthOptions) {
    this.o = options;
  }

  /** Brings the servers in line with the targets; never rejects. */
  sync(): Promise<void> {
    return this.enqueue(() => this.reconcile());
  }

  /** Closes every server; later syncs open none. */
  close(): Promise<void> {
    this.closed = true;
    return this.enqueue(() => this.closeAll());
  }

  /** The bound addresses of a service's servers (logs, tests); undefined when none is open. */
  addresses(name: ServiceName): readonly BindAddress[] | undefined {
    return this.open.get(name)?.servers.map((s) => s.address);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    // One reconcile at a time: a close racing a listen would leave a server open.
    this.queue = this.queue.then(step).catch((error: unknown) => this.o.onError?.(error));
    return this.queue;
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const targets = this.o.targets();
    const hosts = this.o.hosts();
    const hostsKey = hosts.join(',');
    for (const [name, instance] of this.open) {
      const target = targets.get(name);
      if (target !== undefined && target.port === instance.port && instance.hostsKey === hostsKey) continue;
      this.open.delete(name);
      await closeInstance(instance, this.o.onError);
    }
    for (const name of this.failed.keys()) if (!targets.has(name)) this.failed.delete(name);
    for (const [name, target] of targets) {
      const instance = this.open.get(name);
      if (instance !== undefined) instance.target = target;
      else await this.openInstance(name, target, hosts, hostsKey);
    }
  }

  private async openInstance(name: ServiceName, target: HealthCheckTarget, hosts: readonly string[], hostsKey: string): Promise<void> {
    const servers: HttpEndpoint[] = [];
    const instance: Instance = { port: target.port, hostsKey, servers, target };
    const handler = (_req: IncomingMessage, res: ServerResponse): void => this.answer(res, instance.target);
    try {
      // Upstream closes what it opened when one address fails, so the retry starts clean.
      for (const host of hosts) servers.push(await serveHttp('healthCheckNodePort', { host, port: target.port }, handler, this.o.onError));
    } catch (error) {
      await closeInstance(instance, this.o.onError);
      this.reportListenError(name, target, hostsKey, error);
      return;
    }
    this.failed.delete(name);
    this.open.set(name, instance);
    this.o.onOpened?.(target, servers.map((s) => s.address));
  }

  private reportListenError(name: ServiceName, target: HealthCheckTarget, hostsKey: string, error: unknown): void {
    const key = `${target.port}|${hostsKey}`;
    if (this.failed.get(name) === key) return;
    this.failed.set(name, key);
    const cause = error instanceof ProxierError && error.cause !== undefined ? error.cause : error;
    const where = error instanceof ProxierError ? error.object : undefined;
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.o.onListenError?.(new ProxierError('ERR_HTTP_LISTEN',
      `service ${name}: cannot serve healthCheckNodePort ${target.port}${where === undefined ? '' : ` on ${where}`}: ${reason}; retried on every sync`,
      { operation: 'healthCheckNodePort.listen', object: `service ${name} port ${target.port}`, cause }));
  }

  private answer(res: ServerResponse, target: HealthCheckTarget): void {
    const healthy = this.o.proxyHealthy();
    const count = target.localEndpoints;
    const body = healthCheckBody(target, healthy);
    res.writeHead(count > 0 && healthy ? 200 : 503, {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
      'X-Load-Balancing-Endpoint-Weight': String(count),
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  private async closeAll(): Promise<void> {
    const instances = [...this.open.values()];
    this.open.clear();
    this.failed.clear();
    await Promise.all(instances.map((i) => closeInstance(i, this.o.onError)));
  }
}

/**
 * Upstream prints a dedented template, not json.Marshal: tab-indented, no trailing newline. The
 * same bytes here, so anything that compared upstream's body keeps matching; any JSON parser reads
 * `{"service":{"namespace","name"},"localEndpoints","serviceProxyHealthy"}` either way.
 */
export function healthCheckBody(target: Pick<HealthCheckTarget, 'namespace' | 'name' | 'localEndpoints'>, healthy: boolean): string {
  return [
    '{',
    '\t"service": {',
    `\t\t"namespace": ${JSON.stringify(target.namespace)},`,
    `\t\t"name": ${JSON.stringify(target.name)}`,
    '\t},',
    `\t"localEndpoints": ${target.localEndpoints},`,
    `\t"serviceProxyHealthy": ${healthy}`,
    '}',
  ].join('\n');
}

async function closeInstance(instance: Instance, onError: ((error: unknown) => void) | undefined): Promise<void> {
  const results = await Promise.allSettled(instance.servers.map((s) => s.close()));
  for (const r of results) if (r.status === 'rejected') onError?.(r.reason);
}
