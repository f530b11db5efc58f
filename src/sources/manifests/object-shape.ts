/**
 * In the parser thread: what of each object crosses to the event loop. Services and EndpointSlices
 * go whole once measured (each message is copied onto the event loop in one go, so its size must be
 * bounded); everything else goes as a stub of its apiVersion, kind and name.
 */
import type { ParsedObject } from './parse-protocol.ts';
import { formatBytes } from './fs-reasons.ts';

export interface ShapeLimits {
  readonly maxObjectBytes: number;
  readonly maxObjectDepth: number;
}

/** The object to send and its approximate size in bytes (for batching). */
export function shapeObject(object: unknown, document: number, item: number | undefined, limits: ShapeLimits): { parsed: ParsedObject; bytes: number } {
  if (!isRecord(object)) return { parsed: { document, item, object: undefined, shape: shapeOf(object) }, bytes: 16 };
  if (object['kind'] !== 'Service' && object['kind'] !== 'EndpointSlice') return { parsed: { document, item, object: stub(object) }, bytes: 128 };
  const measured = measure(object, limits);
  if (typeof measured === 'number') return { parsed: { document, item, object }, bytes: measured };
  return { parsed: { document, item, object: stub(object), refused: { code: 'ERR_MANIFEST_TOO_LARGE', field: 'document', reason: measured } }, bytes: 128 };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

const MAX_NAME = 253; // the longest valid name; a longer one is invalid anyway and need not travel whole

function stub(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = isRecord(object['metadata']) ? object['metadata'] : {};
  const pick = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, MAX_NAME + 1) : undefined);
  return {
    apiVersion: pick(object['apiVersion']),
    kind: pick(object['kind']),
    metadata: { name: pick(metadata['name']), namespace: pick(metadata['namespace']) },
  };
}

/**
 * Approximate JSON size, walking iteratively (a recursive walk is what a deep document would
 * overflow). Returns the size, or why the object is refused. The depth bound also ends cycles: an
 * alias inside its own anchor becomes a self-referencing object.
 */
function measure(root: unknown, limits: ShapeLimits): number | string {
  let bytes = 0;
  const stack: [unknown, number][] = [[root, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, depth] = top;
    bytes += valueBytes(value);
    if (typeof value === 'object' && value !== null) {
      if (depth > limits.maxObjectDepth) return `nested deeper than ${limits.maxObjectDepth} levels (or an alias inside its own anchor)`;
      for (const [key, child] of entriesOf(value)) {
        bytes += key.length + 4;
        stack.push([child, depth + 1]);
      }
    }
    if (bytes > limits.maxObjectBytes) return `larger than ${formatBytes(limits.maxObjectBytes)} as JSON`;
  }
  return bytes;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (ArrayBuffer.isView(value)) return value.byteLength; // !!binary
  return typeof value === 'object' && value !== null ? 2 : 8;
}

/** Children of any container toJS makes: arrays, plain objects, and YAML 1.1's !!set / !!omap (Set, Map). */
function entriesOf(value: object): Iterable<[string, unknown]> {
  if (ArrayBuffer.isView(value)) return [];
  if (value instanceof Map) return [...value].flatMap(([k, v]: [unknown, unknown]): [string, unknown][] => [['', k], ['', v]]);
  if (value instanceof Set) return [...value].map((v): [string, unknown] => ['', v]);
  if (Array.isArray(value)) return value.map((v): [string, unknown] => ['', v]);
  return Object.entries(value);
}
