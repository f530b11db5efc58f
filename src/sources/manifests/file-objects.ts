/**
 * One file's objects, as the parser thread sends them, into model values and problems. An
 * invalid object keeps the version it had the last time this file parsed (when it had one); the
 * caller throws the whole result away if the file then fails to parse, and keeps the file's
 * previous objects instead.
 */
import type { ProxierError, ValidationError } from '../../errors.ts';
import { parseEndpointSlice } from '../../model/endpoint-slice.ts';
import { describeObject, isRecord } from '../../model/object-fields.ts';
import type { ModelLimits, ParseResult } from '../../model/parse-result.ts';
import { parseService } from '../../model/service.ts';
import { servedByThisProxy } from '../proxy-labels.ts';
import { classifyKind } from './kinds.ts';
import { ManifestError } from './manifest-error.ts';
import type { ParsedObject } from './parse-protocol.ts';
import { emptyObjects, type ManifestNote, type ManifestObjects, type ManifestProblem } from './types.ts';

export interface FileResult {
  readonly objects: ManifestObjects;
  readonly problems: readonly ManifestProblem[];
  readonly notes: readonly ManifestNote[];
}

export class FileObjects {
  private readonly file: string;
  private readonly previous: ManifestObjects;
  private readonly limits: ModelLimits;
  private readonly maxProblems: number;
  private readonly objects = emptyObjects();
  private readonly problems: ManifestProblem[] = [];
  private suppressed = 0;
  private readonly ignoredKinds = new Map<string, number>();
  /** `Kind namespace/name` → the document that defined it first in this file. */
  private readonly defined = new Map<string, number>();

  constructor(file: string, previous: ManifestObjects, limits: ModelLimits, maxProblems: number) {
    this.file = file;
    this.previous = previous;
    this.limits = limits;
    this.maxProblems = maxProblems;
  }

  add(parsed: ParsedObject): void {
    const { object } = parsed;
    if (!isRecord(object)) {
      const described = `${where(parsed)} (file ${this.file})`;
      this.warn('document', `${described}: ${parsed.shape ?? 'not an object'}, not a Kubernetes object; ignored`, described);
      return;
    }
    const verdict = classifyKind(object);
    if (verdict.verdict === 'other') {
      this.ignoredKinds.set(verdict.kind, (this.ignoredKinds.get(verdict.kind) ?? 0) + 1);
    } else if (verdict.verdict === 'suspicious') {
      const described = `${describeObject(typeof object['kind'] === 'string' ? object['kind'] : '<no kind>', object)} (file ${this.file}, ${where(parsed)})`;
      this.warn('kind', `${described}: ${verdict.reason}; ignored`, described);
    } else if (verdict.kind === 'Service') {
      this.addOne(parsed, object, 'Service', this.objects.services, this.previous.services, () => parseService(object, `file ${this.file}`, this.limits));
    } else {
      this.addOne(parsed, object, 'EndpointSlice', this.objects.slices, this.previous.slices, () => parseEndpointSlice(object, `file ${this.file}`));
    }
  }

  finish(): FileResult {
    const notes: ManifestNote[] = [];
    if (this.suppressed > 0) {
      notes.push({ file: this.file, level: 'warn', message: `file ${this.file}: ${this.suppressed} more problems not shown (the first ${this.maxProblems} are)` });
    }
    if (this.ignoredKinds.size > 0) {
      const count = [...this.ignoredKinds.values()].reduce((a, b) => a + b, 0);
      notes.push({ file: this.file, level: 'debug', message: `file ${this.file}: ignored ${count} objects of kinds ${[...this.ignoredKinds.keys()].join(', ')}` });
    }
    return { objects: this.objects, problems: this.problems, notes };
  }

  private addOne<V>(parsed: ParsedObject, object: Record<string, unknown>, kind: string, into: Map<string, V>, previous: Map<string, V>, parse: () => ParseResult<V>): void {
    const key = describeObject('', object).trim();
    const described = `${kind} ${key} (file ${this.file})`;
    if (parsed.refused !== undefined) {
      const { code, field, reason } = parsed.refused;
      this.keepLastGood(key, into, previous, new ManifestError(code, this.file, field, `${described}: ${reason}`, { object: described }));
      return;
    }
    if (!isRecord(object['metadata']) || servedByThisProxy(object['metadata']['labels'])) {
      this.parseOne(parsed, key, kind, into, previous, parse);
    }
    // Otherwise labelled for another proxy: the API source never even receives these (its label selector).
  }

  private parseOne<V>(parsed: ParsedObject, key: string, kind: string, into: Map<string, V>, previous: Map<string, V>, parse: () => ParseResult<V>): void {
    const first = this.defined.get(`${kind} ${key}`);
    if (first !== undefined) {
      const described = `${kind} ${key} (file ${this.file})`;
      this.error(new ManifestError('ERR_MANIFEST_DUPLICATE', this.file, 'metadata.name', `${described}: defined again in ${where(parsed)}; the first, in document ${first}, is used`, { object: described }));
      return;
    }
    this.defined.set(`${kind} ${key}`, parsed.document);
    let result: ParseResult<V>;
    try {
      result = parse();
    } catch (err) {
      // A model parser bug, not bad input (that is `invalid`): still this object's alone, and said loudly.
      const described = `${kind} ${key} (file ${this.file})`;
      this.keepLastGood(key, into, previous, new ManifestError('ERR_MANIFEST_PARSER', this.file, 'document', `${described}: could not be parsed: ${String(err)}`, { object: described, cause: err }));
      return;
    }
    if (result.kind === 'invalid') this.keepLastGood(key, into, previous, result.error);
    else if (result.kind === 'ok') {
      into.set(key, result.value);
      for (const problem of result.problems ?? []) this.error(problem);
    }
  }

  private keepLastGood<V>(key: string, into: Map<string, V>, previous: Map<string, V>, error: ProxierError | ValidationError): void {
    this.error(error);
    const good = previous.get(key);
    if (good !== undefined && !into.has(key)) into.set(key, good);
  }

  private error(error: ProxierError): void {
    this.report({ file: this.file, level: 'error', error });
  }

  private warn(field: string, message: string, object: string): void {
    this.report({ file: this.file, level: 'warn', error: new ManifestError('ERR_MANIFEST_KIND', this.file, field, message, { object }) });
  }

  private report(problem: ManifestProblem): void {
    if (this.problems.length < this.maxProblems) this.problems.push(problem);
    else this.suppressed++;
  }
}

function where(parsed: ParsedObject): string {
  return parsed.item === undefined ? `document ${parsed.document}` : `document ${parsed.document} item ${parsed.item}`;
}
