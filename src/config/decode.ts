/**
 * Decodes a KubeProxyConfiguration file: YAML 1.1 (go-yaml v2, so `strictARP: yes` is true), then
 * JSON types checked field by field. Duplicate fields and wrong types are errors that name the
 * field path; `null` leaves a field unset. Unknown fields are collected, not fatal: kube-proxy's
 * v1alpha1 loader falls back to lenient decoding with a log line, so a file written for a newer
 * kube-proxy keeps working on the node (the caller logs them as a warning).
 * Values come out flat, keyed by dotted path, durations in milliseconds.
 */
import { parseDocument } from 'yaml';
import { goDurationMs } from '../cli/duration.ts';
import { ConfigError } from './errors.ts';
import { API_VERSION, FIELDS, KIND, STRUCTS, type FieldType } from './schema.ts';

export interface DecodedConfig {
  /** Where the text came from, for messages. */
  readonly source: string;
  /** Fields present and not null, by dotted path. */
  readonly values: ReadonlyMap<string, unknown>;
  /** Field paths this configuration type does not have (typos, or fields of a newer kube-proxy). */
  readonly unknownFields: readonly string[];
}

const OPERATION = 'load configuration file';
type Fail = (path: string, value: unknown, reason: string) => never;

export function decodeConfig(text: string, source: string): DecodedConfig {
  const fail: Fail = (path, value, reason) => {
    throw new ConfigError(path, value, reason, { operation: OPERATION, object: source });
  };
  const root = parseYaml(text, source);
  if (!isPlainObject(root)) fail('config', root, `must be a ${KIND} object`);
  const values = new Map<string, unknown>();
  const unknownFields: string[] = [];
  walk(root, '', { values, unknownFields }, fail);
  if (values.get('apiVersion') !== API_VERSION) fail('apiVersion', values.get('apiVersion') ?? null, `must be ${API_VERSION}`);
  if (values.get('kind') !== KIND) fail('kind', values.get('kind') ?? null, `must be ${KIND}`);
  return { source, values, unknownFields };
}

function parseYaml(text: string, source: string): unknown {
  // uniqueKeys: a duplicate field is a strict-decoding error upstream too.
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: true });
  const [error] = doc.errors;
  if (error !== undefined) {
    // The first line of the message ends with "at line L, column C:"; a code frame follows.
    const reason = `not valid YAML: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`;
    throw new ConfigError('config', undefined, reason, { operation: OPERATION, object: source, cause: error });
  }
  // Aliases could expand into a huge tree; a configuration has no use for many of them.
  return doc.toJS({ maxAliasCount: 100 });
}

interface WalkOutput {
  readonly values: Map<string, unknown>;
  readonly unknownFields: string[];
}

function walk(object: Record<string, unknown>, prefix: string, out: WalkOutput, fail: Fail): void {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value === null) continue;
    const spec = FIELDS[path];
    if (spec !== undefined) out.values.set(path, decodeValue(spec.type, value, path, fail));
    else if (!STRUCTS.has(path)) out.unknownFields.push(path);
    else if (isPlainObject(value)) walk(value, path, out, fail);
    else fail(path, value, 'must be an object');
  }
}

function decodeValue(type: FieldType, value: unknown, path: string, fail: Fail): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : fail(path, value, 'must be a string (quote it)');
    case 'bool':
      return typeof value === 'boolean' ? value : fail(path, value, 'must be true or false');
    case 'int32':
      return integer(value, -(2 ** 31), 2 ** 31 - 1, path, fail);
    case 'uint32':
      return integer(value, 0, 2 ** 32 - 1, path, fail);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : fail(path, value, 'must be a number');
    case 'duration':
      return duration(value, path, fail);
    case 'durationOrNanos':
      return typeof value === 'number' ? Math.round(integer(value, -(2 ** 63), 2 ** 63, path, fail) / 1e6) : duration(value, path, fail);
    case 'quantity':
      return quantity(value, path, fail);
    case 'stringList':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(path, value, 'must be a list of strings');
    case 'boolMap':
      return isPlainObject(value) && Object.values(value).every((v) => typeof v === 'boolean') ? value : fail(path, value, 'must be a map of names to true or false');
    case 'vmodule':
      return vmodule(value, path, fail);
  }
}

function integer(value: unknown, min: number, max: number, path: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return fail(path, value, `must be an integer ${min}..${max}`);
  }
  return value;
}

function duration(value: unknown, path: string, fail: Fail): number {
  // metav1.Duration unmarshals from a JSON string only: `syncPeriod: 30` is an error upstream.
  const ms = typeof value === 'string' ? goDurationMs(value) : undefined;
  return ms ?? fail(path, value, 'must be a duration string like 30s, 1m30s or 250ms');
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?$/;

function quantity(value: unknown, path: string, fail: Fail): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && QUANTITY.test(value)) return value;
  return fail(path, value, 'must be a quantity like 64Ki or 1M');
}

function vmodule(value: unknown, path: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) return fail(path, value, 'must be a list of {filePattern, verbosity}');
  return value.map((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isPlainObject(item)) return fail(at, item, 'must be an object with filePattern and verbosity');
    for (const key of Object.keys(item)) if (key !== 'filePattern' && key !== 'verbosity') fail(`${at}.${key}`, item[key], 'unknown field');
    return {
      filePattern: item['filePattern'] == null ? '' : decodeValue('string', item['filePattern'], `${at}.filePattern`, fail),
      verbosity: item['verbosity'] == null ? 0 : integer(item['verbosity'], 0, 2 ** 32 - 1, `${at}.verbosity`, fail),
    };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Map) && !(value instanceof Set);
}
