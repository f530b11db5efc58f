/**
 * Reads Service and EndpointSlice manifests from a directory: `.yaml`, `.yml` and `.json` files,
 * multi-document files and `kind: List` included. YAML is parsed as 1.1, as Kubernetes' own YAML
 * reader (go-yaml v2) does.
 *
 * Bad input never costs good state: a file that does not parse keeps the objects it held the last
 * time it parsed, and an object that fails validation keeps its last good version (when it had
 * one). Each problem is reported once, naming the file and the object.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ProxierError } from '../../errors.ts';
import { ValidationError } from '../../errors.ts';
import { parseEndpointSlice } from '../../model/endpoint-slice.ts';
import { parseService } from '../../model/service.ts';
import { servedByThisProxy } from '../proxy-labels.ts';
import { describeObject } from '../../model/object-fields.ts';
import type { EndpointSliceInfo, Service } from '../../model/types.ts';
import { isRecord, type Json } from '../../model/object-fields.ts';

export interface ManifestObjects {
  /** Keyed `namespace/name`. */
  readonly services: Map<string, Service>;
  readonly slices: Map<string, EndpointSliceInfo>;
}

export interface ManifestProblem {
  readonly file: string;
  readonly error: ProxierError;
}

export interface LoadResult extends ManifestObjects {
  readonly problems: readonly ManifestProblem[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/;

export class ManifestDirectory {
  private readonly dir: string;
  /** Last good objects per file, and per object identity. */
  private readonly lastGood = new Map<string, ManifestObjects>();

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(): Promise<LoadResult> {
    const files = (await readdir(this.dir)).filter((f) => MANIFEST_FILE.test(f) && !f.startsWith('.')).sort();
    const problems: ManifestProblem[] = [];
    const services = new Map<string, Service>();
    const slices = new Map<string, EndpointSliceInfo>();
    for (const file of files) {
      const objects = await this.loadFile(file, problems);
      for (const [k, v] of objects.services) services.set(k, v);
      for (const [k, v] of objects.slices) slices.set(k, v);
    }
    for (const gone of [...this.lastGood.keys()].filter((f) => !files.includes(f))) this.lastGood.delete(gone);
    return { services, slices, problems };
  }

  private async loadFile(file: string, problems: ManifestProblem[]): Promise<ManifestObjects> {
    const previous = this.lastGood.get(file) ?? { services: new Map(), slices: new Map() };
    let documents: Json[];
    try {
      documents = parseDocuments(await readFile(join(this.dir, file), 'utf8'), file);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push({ file, error });
      return previous;
    }
    const objects: ManifestObjects = { services: new Map(), slices: new Map() };
    for (const object of documents.flatMap(expandList)) addObject(object, file, previous, objects, problems);
    this.lastGood.set(file, objects);
    return objects;
  }
}

function parseDocuments(text: string, file: string): Json[] {
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const out: Json[] = [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error !== undefined) {
      throw new ValidationError('document', file, `YAML: ${error.message.split('\n')[0] ?? ''}`, { operation: 'read manifests', object: `file ${file}` });
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function expandList(object: Json): Json[] {
  if (isRecord(object) && object['kind'] === 'List' && Array.isArray(object['items'])) return object['items'] as Json[];
  return [object];
}

function addObject(object: Json, file: string, previous: ManifestObjects, into: ManifestObjects, problems: ManifestProblem[]): void {
  const kind = isRecord(object) ? object['kind'] : undefined;
  const origin = `file ${file}`;
  // The API source never even receives these (its label selector); skip them the same way here.
  if (isRecord(object) && isRecord(object['metadata']) && !servedByThisProxy(object['metadata']['labels'])) return;
  if (kind === 'Service') {
    const key = identity(object);
    const result = parseService(object, origin);
    if (result.kind === 'ok') into.services.set(key, result.value);
    else if (result.kind === 'invalid') keepLastGood(previous.services, into.services, key, file, result.error, problems);
  } else if (kind === 'EndpointSlice') {
    const key = identity(object);
    const result = parseEndpointSlice(object, origin);
    if (result.kind === 'ok') into.slices.set(key, result.value);
    else if (result.kind === 'invalid') keepLastGood(previous.slices, into.slices, key, file, result.error, problems);
  }
  // Other kinds (Deployments, ConfigMaps…) may share the directory; they are not ours to read.
}

function keepLastGood<V>(previous: Map<string, V>, into: Map<string, V>, key: string, file: string, error: ProxierError, problems: ManifestProblem[]): void {
  problems.push({ file, error });
  const good = previous.get(key);
  if (good !== undefined) into.set(key, good);
}

function identity(object: Json): string {
  return describeObject('', object).trim();
}
