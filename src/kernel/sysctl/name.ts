import { ValidationError } from '../../errors.ts';
import type { Ctx } from '../../validate/validate.ts';

const SEGMENT = /^[a-z0-9_.-]+$/;

/**
 * A sysctl name in slash form. Each segment is a path component below /proc/sys, so `..` or `.`
 * segments (path traversal), empty segments and anything outside [a-z0-9_.-] are refused.
 */
export function parseSysctlName(value: unknown, ctx: Ctx): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new ValidationError('sysctl', value, 'must be 1..255 characters', ctx);
  }
  const ok = value.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  if (!ok) {
    throw new ValidationError('sysctl', value, 'must be slash-separated segments of a-z 0-9 _ . - (no . or ..)', ctx);
  }
  return value;
}

/** Values are written as one line; a newline would let a caller write a second value. */
export function parseSysctlValue(value: unknown, ctx: Ctx): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || !/^[\x20-\x7e\t]+$/.test(value)) {
    throw new ValidationError('value', value, 'must be 1..4096 printable ASCII characters on one line', ctx);
  }
  return value;
}
