/** Set specs: validation, the `create` line, and the temporary set name used by replaceMembers. */
import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors.ts';
import { parseComment, parseObjectName, parsePort, parseUint32, type Ctx } from '../../validate/validate.ts';
import { DEFAULT_HASHSIZE, DEFAULT_MAXELEM, MAX_SET_NAME_LENGTH, SET_TYPES, type PortRange, type SetSpec, type ValidSetSpec } from './types.ts';

export function parseSetName(value: unknown, ctx: Ctx): string {
  return parseObjectName(value, ctx, 'set name', MAX_SET_NAME_LENGTH);
}

export function validateSetSpec(spec: SetSpec, operation: string): ValidSetSpec {
  const name = parseSetName(spec?.name, { operation, object: 'set' });
  const ctx: Ctx = { operation, object: `set ${name}` };
  if (!(SET_TYPES as readonly unknown[]).includes(spec.type)) {
    throw new ValidationError('type', spec.type, `must be one of ${SET_TYPES.join(', ')}`, ctx);
  }
  if (spec.family !== 4 && spec.family !== 6) throw new ValidationError('family', spec.family, 'must be 4 or 6', ctx);
  const comment = spec.comment === undefined ? undefined : parseComment(spec.comment, ctx);
  const bitmap = spec.type === 'bitmap:port';
  if (bitmap && (spec.hashsize !== undefined || spec.maxelem !== undefined)) {
    throw new ValidationError('hashsize', spec.hashsize ?? spec.maxelem, 'bitmap:port has no hashsize or maxelem', ctx);
  }
  if (!bitmap && spec.range !== undefined) throw new ValidationError('range', spec.range, 'only bitmap:port has a range', ctx);
  return {
    name,
    type: spec.type,
    family: spec.family,
    comment,
    range: bitmap ? portRange(spec.range ?? { from: 0, to: 65535 }, ctx) : undefined,
    hashsize: bitmap ? undefined : hashsize(spec.hashsize ?? DEFAULT_HASHSIZE, ctx),
    maxelem: bitmap ? undefined : maxelem(spec.maxelem ?? DEFAULT_MAXELEM, ctx),
  };
}

/** `create NAME TYPE options`, in the option order `ipset save` prints (family, hashsize, maxelem). */
export function renderCreate(spec: ValidSetSpec): string {
  if (spec.range !== undefined) return `create ${spec.name} ${spec.type} range ${spec.range.from}-${spec.range.to}`;
  const family = spec.family === 6 ? 'inet6' : 'inet';
  return `create ${spec.name} ${spec.type} family ${family} hashsize ${spec.hashsize} maxelem ${spec.maxelem}`;
}

/**
 * The temporary set replaceMembers fills before swapping: `<name>-TMP` when that fits in 31
 * characters, else the name cut to 20 characters + `-TMP-` + 6 hex digits of sha256(name), so two
 * long names sharing a prefix (KUBE-6-LOAD-BALANCER-SOURCE-CIDR/-IP) never share a temporary set.
 * Deterministic, so a temporary set left by a crash is found (and flushed) by the next sync.
 */
export function tmpSetName(name: string): string {
  const short = `${name}-TMP`;
  if (short.length <= MAX_SET_NAME_LENGTH) return short;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, 20)}-TMP-${digest}`;
}

function portRange(range: PortRange, ctx: Ctx): PortRange {
  const from = parsePort(range?.from, ctx, 'range.from', true);
  const to = parsePort(range?.to, ctx, 'range.to', true);
  if (from > to) throw new ValidationError('range', range, 'from must not exceed to', ctx);
  return { from, to };
}

/** ipset refuses hashsize below 64 and rounds up to a power of two; we refuse anything it would change. */
function hashsize(value: number, ctx: Ctx): number {
  const checked = parseUint32(value, ctx, 'hashsize');
  if (checked < 64 || checked > 2 ** 30 || (checked & (checked - 1)) !== 0) {
    throw new ValidationError('hashsize', value, 'must be a power of two from 64 to 2^30', ctx);
  }
  return checked;
}

function maxelem(value: number, ctx: Ctx): number {
  const checked = parseUint32(value, ctx, 'maxelem');
  if (checked === 0) throw new ValidationError('maxelem', value, 'must be at least 1', ctx);
  return checked;
}
