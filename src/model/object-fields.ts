/**
 * Typed access to untrusted Kubernetes object JSON: every accessor checks the shape and throws a
 * ValidationError naming the object and the field path, so parsers read like the API reference.
 */
import { ValidationError } from '../errors.ts';
import type { Ctx } from '../validate/validate.ts';

export type Json = unknown;

export function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: Json, field: string, ctx: Ctx): Record<string, Json> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new ValidationError(field, value, 'must be an object', ctx);
  return value;
}

export function list(value: Json, field: string, ctx: Ctx): readonly Json[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, value, 'must be a list', ctx);
  return value;
}

export function optionalString(value: Json, field: string, ctx: Ctx): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ValidationError(field, value, 'must be a string', ctx);
  return value;
}

export function oneOf<T extends string>(value: Json, allowed: readonly T[], fallback: T, field: string, ctx: Ctx): T {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ValidationError(field, value, `must be one of ${allowed.join(', ')}`, ctx);
}

export function optionalBoolean(value: Json, field: string, ctx: Ctx): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ValidationError(field, value, 'must be true or false', ctx);
  return value;
}

export function integerInRange(value: Json, min: number, max: number, fallback: number, field: string, ctx: Ctx): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, value, `must be an integer ${min}..${max}`, ctx);
  }
  return value;
}

/** RFC 3339 as the API server writes metav1.Time: `2024-05-01T10:00:00Z`, fractions and offsets allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A metav1.Time as ms since the epoch; absent is undefined. */
export function optionalTimestamp(value: Json, field: string, ctx: Ctx): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new ValidationError(field, value, 'must be an RFC 3339 time like 2024-05-01T10:00:00Z', ctx);
  return ms;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** metadata.namespace / metadata.name: RFC 1123 names, as the API server enforces. */
export function objectName(value: Json, field: string, ctx: Ctx, subdomain = false): string {
  const max = subdomain ? 253 : 63;
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !(subdomain ? DNS_SUBDOMAIN : DNS_LABEL).test(value)) {
    throw new ValidationError(field, value, `must be a lowercase RFC 1123 ${subdomain ? 'subdomain' : 'label'}`, ctx);
  }
  return value;
}

/** `Kind namespace/name` for messages, from whatever metadata the object has. */
export function describeObject(kind: string, object: Json): string {
  const metadata = typeof object === 'object' && object !== null && 'metadata' in object ? object.metadata : undefined;
  const m = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
  const ns = typeof m['namespace'] === 'string' ? m['namespace'] : 'default';
  const name = typeof m['name'] === 'string' ? m['name'] : '<unnamed>';
  return `${kind} ${ns}/${name}`;
}
