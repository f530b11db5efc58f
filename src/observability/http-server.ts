/**
 * The small HTTP server every endpoint shares (serveHttp): a close() that does not wait for idle
 * keep-alive connections (a scraper's or a load balancer's pooled connection would otherwise hold
 * shutdown for the keep-alive timeout). /healthz and /metrics add exact-path routes, GET/HEAD
 * only, and Go's ServeMux answers for unknown paths (startHttpServer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxierError } from '../errors.ts';
import { formatBindAddress, type BindAddress } from './bind-address.ts';

export type RouteHandler = (res: ServerResponse) => void | Promise<void>;

export interface HttpEndpoint {
  /** The bound address; the real port when 0 was asked for. */
  readonly address: BindAddress;
  close(): Promise<void>;
}

const ALLOWED_METHODS = new Set(['GET', 'HEAD']);

export function startHttpServer(
  name: string,
  bind: BindAddress,
  routes: ReadonlyMap<string, RouteHandler>,
  onError: (error: unknown) => void = () => undefined,
): Promise<HttpEndpoint> {
  return serveHttp(name, bind, (req, res) => dispatch(req, res, routes), onError);
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * One handler for every request (the healthCheckNodePort servers answer any path and method, as
 * upstream's do). A listen failure is a ProxierError ERR_HTTP_LISTEN naming the address.
 */
export async function serveHttp(name: string, bind: BindAddress, handler: RequestHandler, onError: (error: unknown) => void = () => undefined): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    Promise.resolve().then(() => handler(req, res)).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) writeText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await listen(server, bind, name);
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () => closeServer(server),
  };
}

async function dispatch(req: IncomingMessage, res: ServerResponse, routes: ReadonlyMap<string, RouteHandler>): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(path);
  if (handler === undefined) return writeText(res, 404, '404 page not found\n');
  if (!ALLOWED_METHODS.has(req.method ?? '')) {
    res.setHeader('Allow', 'GET, HEAD');
    return writeText(res, 405, 'method not allowed\n');
  }
  await handler(res);
}

export function writeText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

function listen(server: Server, bind: BindAddress, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (cause: Error): void => {
      reject(new ProxierError('ERR_HTTP_LISTEN', `${name}: cannot listen on ${formatBindAddress(bind)}: ${cause.message}`, {
        operation: `${name}.listen`, object: formatBindAddress(bind), cause,
      }));
    };
    server.once('error', onError);
    server.listen(bind.port, bind.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}
