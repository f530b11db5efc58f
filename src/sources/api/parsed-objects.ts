/**
 * Raw objects from an informer → model values, with the manifests source's rules: an invalid
 * object is reported and skipped, and an update that makes a valid object invalid keeps its last
 * good version (the cluster keeps working while someone fixes the object). An object that becomes
 * `ignored` (say, ExternalName) is a removal.
 */
import type { ValidationError } from '../../errors.ts';
import type { ParseResult } from '../../model/parse-result.ts';
import type { RawObject } from './raw-list.ts';

export class ParsedObjects<V> {
  private readonly good = new Map<string, V>();
  private readonly parse: (raw: RawObject) => ParseResult<V>;
  private readonly emit: (previous: V | undefined, current: V | undefined) => void;
  private readonly report: (error: ValidationError) => void;

  constructor(
    parse: (raw: RawObject) => ParseResult<V>,
    emit: (previous: V | undefined, current: V | undefined) => void,
    report: (error: ValidationError) => void,
  ) {
    this.parse = parse;
    this.emit = emit;
    this.report = report;
  }

  get size(): number {
    return this.good.size;
  }

  upsert(raw: RawObject): void {
    const key = identity(raw);
    const previous = this.good.get(key);
    const result = this.parse(raw);
    if (result.kind === 'invalid') {
      this.report(result.error);
      return;
    }
    if (result.kind === 'ignored') {
      this.remove(raw);
      return;
    }
    this.good.set(key, result.value);
    this.emit(previous, result.value);
  }

  remove(raw: RawObject): void {
    const key = identity(raw);
    const previous = this.good.get(key);
    if (previous === undefined) return;
    this.good.delete(key);
    this.emit(previous, undefined);
  }
}

function identity(raw: RawObject): string {
  return `${raw.metadata?.namespace ?? ''}/${raw.metadata?.name ?? ''}`;
}
