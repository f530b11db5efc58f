/**
 * A protocol-faithful stand-in for kube-apiserver, on node:http, loopback only. It serves the real
 * paths for Services, EndpointSlices and Nodes: lists with a resourceVersion, chunked watch streams
 * with bookmarks and 410 Gone, label and field selectors, bearer-token auth, and create/update/
 * delete. Tests drive it programmatically (mutations and injected faults); `main.ts` runs it as a
 * process for sandbox end-to-end tests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { realClock, type Clock } from '../../../src/clock.ts';
import { parsePath, type ParsedPath, type ResourceName } from './resources.ts';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts';
import { statusObject } from './status.ts';
import { ApiError, ObjectStore, type KubeObject } from './store.ts';
import { WatchStream, type WatchFilter } from './watch-stream.ts';

export interface FakeApiServerOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Events retained for watches to resume from (default 1000). */
  readonly historyLimit?: number;
  /** How often open watches that asked for them get a BOOKMARK (default 60 s, as the real server). */
  readonly bookmarkIntervalMs?: number;
  /** Runs bookmarks and `timeoutSeconds` (default: real time; tests pass a manual clock). */
  readonly clock?: Clock;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
}

export class FakeApiServer {
  readonly store: ObjectStore;
  /** Every request received, in order (tests assert on query parameters and auth). */
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly o: FakeApiServerOptions;
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<WatchStream>();
  private readonly activityListeners = new Set<() => void>();
  private failures: Fault & { code: number } = { remaining: 0, code: 500, match: () => true };
  private stalls: Fault = { remaining: 0, match: () => true };

  private constructor(options: FakeApiServerOptions) {
    this.o = options;
    this.store = new ObjectStore(options.historyLimit, () => (options.clock ?? realClock).now());
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.changed();
      });
    });
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const api = new FakeApiServer(options);
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return api;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  /**
   * Calls `listener` after every request received, watch opened or ended, and connection closed,
   * so a test can await the server's state instead of polling it. Returns the unsubscribe.
   */
  onActivity(listener: () => void): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // Mutations, as an API client would make them.
  create(object: unknown): KubeObject { return this.store.create(object); }
  update(object: unknown): KubeObject { return this.store.update(object); }
  apply(object: unknown): KubeObject { return this.store.apply(object); }
  delete(resource: ResourceName, namespace: string | undefined, name: string): KubeObject {
    return this.store.delete(resource, namespace, name);
  }

  // Faults.
  /** Destroys every TCP connection, mid-stream: what a server crash or a network reset looks like. */
  resetConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Answers the next `count` requests (that `match`) with this HTTP error, then serves normally. */
  failNext(count: number, code = 500, match: RequestMatcher = () => true): void {
    this.failures = { remaining: count, code, match };
  }

  /** Accepts the next `count` requests (that `match`) and never answers them. */
  stallNext(count: number, match: RequestMatcher = () => true): void {
    this.stalls = { remaining: count, match };
  }

  /** Drops the event history, as an etcd compaction: resuming an older watch now gets 410 Gone. */
  compact(): void {
    this.store.compact();
  }

  /** Ends every open watch with a 410 ERROR event. */
  expireWatches(): void {
    for (const w of [...this.watches]) w.expire();
  }

  /** Sends a BOOKMARK now on every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watches) w.bookmark();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization,
    };
    this.requests.push(recorded);
    this.changed();
    if (this.o.token !== undefined && req.headers.authorization !== `Bearer ${this.o.token}`) {
      sendStatus(res, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (take(this.failures, recorded)) {
      sendStatus(res, new ApiError(this.failures.code, 'InternalError', 'injected failure'));
      return;
    }
    if (take(this.stalls, recorded)) {
      return; // the socket stays open; close() or resetConnections() ends it
    }
    this.route(req, res, url).catch((err: unknown) => sendError(res, err));
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/version' && req.method === 'GET') {
      sendJson(res, 200, { major: '1', minor: '33', gitVersion: 'v1.33.0-ipvs-proxier-fake', platform: 'linux/amd64' });
      return;
    }
    const path = parsePath(url.pathname);
    if (path === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const method = req.method ?? 'GET';
    switch (method) {
      case 'GET':
        if (path.name !== undefined) sendJson(res, 200, this.getOne(path, path.name));
        else if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') this.watch(res, path, url.searchParams);
        else sendJson(res, 200, this.list(path, url.searchParams));
        return;
      case 'POST':
        if (path.name !== undefined) throw new ApiError(405, 'MethodNotAllowed', 'POST to an object path');
        sendJson(res, 201, this.store.create(await readJson(req), path.resource, path.namespace));
        return;
      case 'PUT':
        if (path.name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'PUT to a collection');
        sendJson(res, 200, this.store.update(nameMustMatch(await readJson(req), path.name), path.resource, path.namespace));
        return;
      case 'DELETE':
        if (path.name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'DELETE of a collection');
        sendJson(res, 200, this.store.delete(path.resource.name, path.namespace, path.name));
        return;
      default:
        throw new ApiError(405, 'MethodNotAllowed', `method ${method} not allowed`);
    }
  }

  private getOne(path: ParsedPath, name: string): KubeObject {
    const found = this.store.get(path.resource.name, path.namespace, name);
    if (found === undefined) throw new ApiError(404, 'NotFound', `${path.resource.name} "${name}" not found`);
    return found;
  }

  private list(path: ParsedPath, query: URLSearchParams): Record<string, unknown> {
    const filter = this.filter(path, query);
    const items = this.store.list(path.resource.name).filter((o) => {
      const m = o.metadata;
      const namespace = typeof m['namespace'] === 'string' ? m['namespace'] : '';
      return (path.namespace === undefined || namespace === path.namespace)
        && filter.labels((m['labels'] ?? {}) as Record<string, string>)
        && filter.fields({ 'metadata.name': String(m['name']), 'metadata.namespace': namespace });
    });
    // A real list's items carry no kind/apiVersion: only the list itself does.
    for (const item of items) { delete item['kind']; delete item['apiVersion']; }
    return {
      kind: `${path.resource.kind}List`,
      apiVersion: path.resource.apiVersion,
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items,
    };
  }

  private watch(res: ServerResponse, path: ParsedPath, query: URLSearchParams): void {
    const timeout = query.get('timeoutSeconds');
    const stream = new WatchStream(res, this.store, {
      filter: this.filter(path, query),
      from: query.get('resourceVersion') ?? '',
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      bookmarkIntervalMs: this.o.bookmarkIntervalMs ?? 60_000,
      timeoutMs: timeout === null ? undefined : Number(timeout) * 1000,
      clock: this.o.clock ?? realClock,
    }, () => {
      this.watches.delete(stream);
      this.changed();
    });
    this.watches.add(stream);
    stream.start();
    this.changed();
  }

  private changed(): void {
    for (const listener of this.activityListeners) listener();
  }

  private filter(path: ParsedPath, query: URLSearchParams): WatchFilter {
    try {
      return {
        resource: path.resource,
        namespace: path.namespace,
        labels: parseLabelSelector(query.get('labelSelector')),
        fields: parseFieldSelector(query.get('fieldSelector')),
      };
    } catch (err) {
      if (err instanceof SelectorError) throw new ApiError(400, 'BadRequest', err.message);
      throw err;
    }
  }
}

export type RequestMatcher = (request: RecordedRequest) => boolean;

interface Fault {
  remaining: number;
  readonly match: RequestMatcher;
}

function take(fault: Fault, request: RecordedRequest): boolean {
  if (fault.remaining <= 0 || !fault.match(request)) return false;
  fault.remaining -= 1;
  return true;
}

function nameMustMatch(object: unknown, name: string): unknown {
  const metadata = (object as { metadata?: { name?: unknown } } | null)?.metadata;
  if (metadata?.name !== name) throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  return object;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'BadRequest', 'request body is not valid JSON');
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, statusObject(err.code, err.reason, err.message));
}

function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) { res.destroy(); return; }
  sendStatus(res, err instanceof ApiError ? err : new ApiError(500, 'InternalError', String(err)));
}
