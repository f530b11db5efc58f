/**
 * The fake API server's storage: objects per resource, one global resourceVersion counter (as etcd's
 * revision), and a bounded event history that watches replay from. Watching from a version older
 * than the retained history is "expired" (410 Gone), exactly when a real server would say so.
 */
import { RESOURCES, resourceOfKind, type ResourceInfo, type ResourceName } from './resources.ts';

export type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> };
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  readonly resourceVersion: number;
  readonly type: EventType;
  readonly resource: ResourceName;
  readonly object: KubeObject;
  /** The object before a MODIFIED or DELETED event: watches need it to filter by selector. */
  readonly previous: KubeObject | undefined;
}

/** An API failure, answered as a `Status` object with this HTTP code and reason. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export class ObjectStore {
  private revision = 0;
  /** Watching from a version below this is expired. */
  private compactedAt = 0;
  private history: StoredEvent[] = [];
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private readonly listeners = new Set<(event: StoredEvent) => void>();
  private readonly historyLimit: number;
  private nextUid = 1;

  /** Stamps creationTimestamp, as the API server does (whole seconds); the server's clock. */
  private readonly now: () => number;

  constructor(historyLimit = 1000, now: () => number = Date.now) {
    this.historyLimit = historyLimit;
    this.now = now;
    for (const name of Object.keys(RESOURCES) as ResourceName[]) this.objects.set(name, new Map());
  }

  get resourceVersion(): number {
    return this.revision;
  }

  list(resource: ResourceName): KubeObject[] {
    return [...this.table(resource).values()].map((o) => structuredClone(o));
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.table(resource).get(key(RESOURCES[resource], namespace, name));
    return found === undefined ? undefined : structuredClone(found);
  }

  create(input: unknown, resource?: ResourceInfo, namespace?: string): KubeObject {
    const { info, object, id } = this.prepare(input, resource, namespace);
    if (this.table(info.name).has(id)) throw new ApiError(409, 'AlreadyExists', `${info.name} "${String(object.metadata['name'])}" already exists`);
    object.metadata['uid'] = `uid-${this.nextUid++}`;
    object.metadata['creationTimestamp'] = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    return this.commit(info, id, 'ADDED', object, undefined);
  }

  update(input: unknown, resource?: ResourceInfo, namespace?: string): KubeObject {
    const { info, object, id } = this.prepare(input, resource, namespace);
    const current = this.table(info.name).get(id);
    if (current === undefined) throw new ApiError(404, 'NotFound', `${info.name} "${String(object.metadata['name'])}" not found`);
    const expected = object.metadata['resourceVersion'];
    if (expected !== undefined && expected !== '' && expected !== current.metadata['resourceVersion']) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${info.name} "${String(object.metadata['name'])}": the object has been modified`);
    }
    object.metadata['uid'] = current.metadata['uid'];
    object.metadata['creationTimestamp'] = current.metadata['creationTimestamp'];
    return this.commit(info, id, 'MODIFIED', object, current);
  }

  /** Creates the object, or replaces it unconditionally when it exists (test convenience). */
  apply(input: unknown): KubeObject {
    const { info, id } = this.prepare(input, undefined, undefined);
    if (!this.table(info.name).has(id)) return this.create(input);
    const copy = structuredClone(input) as KubeObject;
    delete copy.metadata['resourceVersion'];
    return this.update(copy);
  }

  delete(resource: ResourceName, namespace: string | undefined, name: string): KubeObject {
    const info = RESOURCES[resource];
    const id = key(info, info.namespaced ? namespace ?? 'default' : undefined, name);
    const current = this.table(resource).get(id);
    if (current === undefined) throw new ApiError(404, 'NotFound', `${resource} "${name}" not found`);
    const gone = structuredClone(current);
    return this.commit(info, id, 'DELETED', gone, current);
  }

  /** Events after `resourceVersion`, or `expired` when some of them are no longer retained. */
  eventsSince(resourceVersion: number): readonly StoredEvent[] | 'expired' {
    if (resourceVersion < this.compactedAt) return 'expired';
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Forgets all history, as an etcd compaction does: any watch from an older version gets 410. */
  compact(): void {
    this.history = [];
    this.compactedAt = this.revision;
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(info: ResourceInfo, id: string, type: EventType, object: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.revision += 1;
    object.metadata['resourceVersion'] = String(this.revision);
    if (type === 'DELETED') this.table(info.name).delete(id);
    else this.table(info.name).set(id, object);
    const event: StoredEvent = { resourceVersion: this.revision, type, resource: info.name, object, previous };
    this.history.push(event);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.compactedAt = dropped.resourceVersion;
    }
    for (const listener of this.listeners) listener(event);
    return structuredClone(object);
  }

  private prepare(input: unknown, resource: ResourceInfo | undefined, namespace: string | undefined): { info: ResourceInfo; object: KubeObject; id: string } {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ApiError(400, 'BadRequest', 'object must be a JSON object');
    const object = structuredClone(input) as KubeObject;
    const info = resource ?? resourceOfKind(object['kind']);
    if (info === undefined) throw new ApiError(400, 'BadRequest', `unsupported kind ${JSON.stringify(object['kind'])}`);
    if (object['kind'] !== undefined && object['kind'] !== info.kind) throw new ApiError(400, 'BadRequest', `kind ${JSON.stringify(object['kind'])} does not match ${info.name}`);
    const metadata: unknown = object['metadata'];
    if (typeof metadata !== 'object' || metadata === null || typeof (metadata as Record<string, unknown>)['name'] !== 'string') {
      throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
    }
    object.metadata = metadata as Record<string, unknown>;
    object['kind'] = info.kind;
    object['apiVersion'] = info.apiVersion;
    const ns = info.namespaced ? resolveNamespace(object.metadata['namespace'], namespace) : undefined;
    if (ns === undefined) delete object.metadata['namespace'];
    else object.metadata['namespace'] = ns;
    return { info, object, id: key(info, ns, object.metadata['name'] as string) };
  }

  private table(resource: ResourceName): Map<string, KubeObject> {
    const table = this.objects.get(resource);
    if (table === undefined) throw new Error(`no table for ${resource}`);
    return table;
  }
}

function resolveNamespace(fromObject: unknown, fromPath: string | undefined): string {
  if (fromObject !== undefined && typeof fromObject !== 'string') throw new ApiError(422, 'Invalid', 'metadata.namespace must be a string');
  if (fromPath !== undefined && fromObject !== undefined && fromObject !== fromPath) {
    throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  }
  return fromObject ?? fromPath ?? 'default';
}

function key(info: ResourceInfo, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${namespace ?? 'default'}/${name}` : name;
}
