/**
 * Raw objects from an informer → model values, with the manifests source's rules: an invalid
 * object is reported and skipped, and an update that makes a valid object invalid keeps its last
 * good version (the cluster keeps working while someone fixes the object). An object that becomes
 * `ignored` (say, ExternalName) is a removal. The parts of a valid object that were refused on
 * their own (its `problems`) are reported too.
 *
 * What was reported is remembered per object: a relist or resync delivers every object again,
 * and the same complaint about the same object must not fill the log every time.
 */
import type { ValidationError } from '../../errors.ts';
import type { ParseResult } from '../../model/parse-result.ts';
import type { RawObject } from './raw-list.ts';

export class ParsedObjects<V> {
  private readonly good = new Map<string, V>();
  /** Per object, the field and reason of each error last reported: what it is being told off for. */
  private readonly reported = new Map<string, string>();
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
      this.reportOnce(key, [result.error]);
      return;
    }
    if (result.kind === 'ignored') {
      this.remove(raw);
      return;
    }
    this.reportOnce(key, result.problems ?? []);
    this.good.set(key, result.value);
    this.emit(previous, result.value);
  }

  remove(raw: RawObject): void {
    const key = identity(raw);
    this.reported.delete(key);
    const previous = this.good.get(key);
    if (previous === undefined) return;
    this.good.delete(key);
    this.emit(previous, undefined);
  }

  /** Reports the errors unless they are exactly the ones this object was last reported for. */
  private reportOnce(key: string, errors: readonly ValidationError[]): void {
    const signature = JSON.stringify(errors.map((e) => [e.field, e.reason]));
    if (this.reported.get(key) === (errors.length === 0 ? undefined : signature)) return;
    if (errors.length === 0) this.reported.delete(key);
    else this.reported.set(key, signature);
    for (const error of errors) this.report(error);
  }
}

function identity(raw: RawObject): string {
  return `${raw.metadata?.namespace ?? ''}/${raw.metadata?.name ?? ''}`;
}
