/**
 * One open watch: a chunked HTTP response carrying one JSON event per line, as the real API server
 * writes them. Events are filtered per watcher the way the server's watch cache does it: an update
 * that makes an object start matching the selector is ADDED, one that makes it stop matching is
 * DELETED (carrying the previous object at the new resourceVersion).
 */
import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../../../src/clock.ts';
import type { Selector } from './selectors.ts';
import type { ResourceInfo } from './resources.ts';
import type { KubeObject, ObjectStore, StoredEvent } from './store.ts';
import { statusObject } from './status.ts';

export interface WatchFilter {
  readonly resource: ResourceInfo;
  readonly namespace: string | undefined;
  readonly labels: Selector;
  readonly fields: Selector;
}

export interface WatchOptions {
  readonly filter: WatchFilter;
  /** `resourceVersion` query parameter; empty or "0" means "current state first, then changes". */
  readonly from: string;
  readonly bookmarks: boolean;
  readonly bookmarkIntervalMs: number;
  /** `timeoutSeconds`: the server ends the stream after this long. */
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
}

export class WatchStream {
  private readonly res: ServerResponse;
  private readonly store: ObjectStore;
  private readonly o: WatchOptions;
  private readonly timers: TimerHandle[] = [];
  private unsubscribe: (() => void) | undefined;
  private readonly onEnd: () => void;

  constructor(res: ServerResponse, store: ObjectStore, options: WatchOptions, onEnd: () => void) {
    this.res = res;
    this.store = store;
    this.o = options;
    this.onEnd = onEnd;
  }

  start(): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    this.res.flushHeaders();
    this.res.on('close', () => this.cleanup());
    const from = this.o.from === '' || this.o.from === '0' ? undefined : Number(this.o.from);
    if (from !== undefined && !this.replay(from)) return;
    if (from === undefined) {
      for (const object of this.store.list(this.o.filter.resource.name)) if (this.matches(object)) this.write('ADDED', object);
    }
    this.unsubscribe = this.store.subscribe((event) => this.deliver(event));
    const { clock } = this.o;
    if (this.o.bookmarks) this.timers.push(clock.setInterval(() => this.bookmark(), this.o.bookmarkIntervalMs));
    if (this.o.timeoutMs !== undefined) this.timers.push(clock.setTimeout(() => this.end(), this.o.timeoutMs));
  }

  /** A BOOKMARK event: "you have seen everything up to this resourceVersion". */
  bookmark(): void {
    if (!this.o.bookmarks) return;
    const { kind, apiVersion } = this.o.filter.resource;
    this.write('BOOKMARK', { kind, apiVersion, metadata: { resourceVersion: String(this.store.resourceVersion) } });
  }

  /** Ends the stream with a 410 Gone ERROR event, as the server does when the watch falls too far behind. */
  expire(reason = 'too old resource version'): void {
    this.write('ERROR', statusObject(410, 'Expired', reason));
    this.end();
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
    this.cleanup();
  }

  private replay(from: number): boolean {
    if (!Number.isInteger(from) || from < 0) {
      this.write('ERROR', statusObject(400, 'BadRequest', `invalid resourceVersion ${JSON.stringify(this.o.from)}`));
      this.end();
      return false;
    }
    const events = this.store.eventsSince(from);
    if (events === 'expired') {
      this.expire(`too old resource version: ${from}`);
      return false;
    }
    for (const event of events) this.deliver(event);
    return true;
  }

  private deliver(event: StoredEvent): void {
    if (event.resource !== this.o.filter.resource.name) return;
    const now = event.type !== 'DELETED' && this.matches(event.object);
    const before = event.previous !== undefined && this.matches(event.previous);
    if (event.type === 'DELETED') {
      if (before) this.write('DELETED', event.object);
    } else if (now) {
      this.write(before ? 'MODIFIED' : 'ADDED', event.object);
    } else if (before && event.previous !== undefined) {
      const gone = structuredClone(event.previous);
      gone.metadata['resourceVersion'] = String(event.resourceVersion);
      this.write('DELETED', gone);
    }
  }

  private matches(object: KubeObject): boolean {
    const m = object.metadata;
    const namespace = typeof m['namespace'] === 'string' ? m['namespace'] : '';
    if (this.o.filter.namespace !== undefined && namespace !== this.o.filter.namespace) return false;
    const labels = (m['labels'] ?? {}) as Record<string, string>;
    return this.o.filter.labels(labels) && this.o.filter.fields({ 'metadata.name': String(m['name']), 'metadata.namespace': namespace });
  }

  private write(type: string, object: unknown): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private cleanup(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.timers.splice(0)) this.o.clock.clearTimer(t);
    this.onEnd();
  }
}
