/**
 * kube-proxy's health endpoints (default 0.0.0.0:10256), byte-compatible with upstream so probes,
 * load balancers and scripts that parse the body keep working:
 *
 *   /healthz  200/503  {"lastUpdated":…,"currentTime":…,"nodeEligible":b,"healthy":b,"status":{…}}
 *   /livez    200/503  the same without nodeEligible; ignores node eligibility
 *
 * When healthy, lastUpdated is the current time (upstream keeps that old-release semantic).
 */
import type { ServerResponse } from 'node:http';
import type { HealthSnapshot, ProxyHealth } from './proxy-health.ts';
import { startHttpServer, type HttpEndpoint, type RouteHandler } from './http-server.ts';
import { parseBindAddress } from './bind-address.ts';

export type ProbeKind = 'healthz' | 'livez';

export interface HealthServerOptions {
  readonly bindAddress: string;
  readonly health: ProxyHealth;
  /** Each answered probe (kubeproxy_proxy_healthz_total / _livez_total). */
  readonly onProbe?: (kind: ProbeKind, code: number) => void;
  readonly onError?: (error: unknown) => void;
}

export function startHealthServer(options: HealthServerOptions): Promise<HttpEndpoint> {
  const bind = parseBindAddress(options.bindAddress, 10256, 'healthzBindAddress');
  const routes = new Map<string, RouteHandler>([
    ['/healthz', (res) => answer(res, 'healthz', options)],
    ['/livez', (res) => answer(res, 'livez', options)],
  ]);
  return startHttpServer('healthz', bind, routes, options.onError);
}

function answer(res: ServerResponse, kind: ProbeKind, options: HealthServerOptions): void {
  const snapshot = options.health.health();
  const nodeEligible = kind === 'healthz' ? options.health.nodeEligible : undefined;
  const healthy = snapshot.healthy && nodeEligible !== false;
  const code = healthy ? 200 : 503;
  options.onProbe?.(kind, code);
  res.writeHead(code, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
  res.end(healthBody(snapshot, healthy, nodeEligible));
}

/** Go's json.Marshal of upstream's ProxyHealth struct: field order, omitempty, map keys sorted. */
export function healthBody(snapshot: HealthSnapshot, healthy: boolean, nodeEligible: boolean | undefined): string {
  const lastUpdated = healthy ? snapshot.currentTime : snapshot.lastUpdated;
  const body: Record<string, unknown> = { lastUpdated: goTime(lastUpdated), currentTime: goTime(snapshot.currentTime) };
  if (nodeEligible !== undefined) body['nodeEligible'] = nodeEligible;
  // Upstream's Healthy field ignores node eligibility; only the status code includes it.
  body['healthy'] = snapshot.healthy;
  if (snapshot.status.size > 0) {
    const status: Record<string, unknown> = {};
    for (const name of [...snapshot.status.keys()].sort()) {
      const s = snapshot.status.get(name);
      if (s !== undefined) status[name] = { lastUpdated: goTime(s.lastUpdated), healthy: s.healthy };
    }
    body['status'] = status;
  }
  return JSON.stringify(body);
}

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** time.Time's JSON form (RFC 3339, trailing fractional zeros dropped), in UTC; the zero time when unset. */
export function goTime(ms: number | undefined): string {
  if (ms === undefined) return GO_ZERO_TIME;
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}
