/**
 * kube-proxy's metrics endpoint (default 127.0.0.1:10249): /metrics, plus the two small routes
 * tooling probes on that port: /healthz ("ok", component-base's) and /proxyMode ("ipvs").
 */
import { parseBindAddress } from './bind-address.ts';
import { startHttpServer, writeText, type HttpEndpoint, type RouteHandler } from './http-server.ts';
import type { ProxierMetrics } from './metrics.ts';

export interface MetricsServerOptions {
  readonly bindAddress: string;
  readonly metrics: ProxierMetrics;
  readonly onError?: (error: unknown) => void;
}

export function startMetricsServer(options: MetricsServerOptions): Promise<HttpEndpoint> {
  const bind = parseBindAddress(options.bindAddress, 10249, 'metricsBindAddress');
  const routes = new Map<string, RouteHandler>([
    ['/metrics', async (res) => {
      const { contentType, body } = await options.metrics.render();
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(body);
    }],
    ['/healthz', (res) => writeText(res, 200, 'ok')],
    ['/proxyMode', (res) => writeText(res, 200, 'ipvs')],
  ]);
  return startHttpServer('metrics', bind, routes, options.onError);
}
