import { ValidationError } from '../errors.ts';
import type { Ctx } from '../validate/validate.ts';

/**
 * Outcome of turning one Kubernetes object into a model value. `ignored` is not an error: headless
 * and ExternalName services are simply not the proxier's business.
 */
export type ParseResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly error: ValidationError };

/**
 * Runs an object parser that throws ValidationError on bad input and turns that into `invalid`:
 * one bad object is reported and skipped, never thrown at the source that delivered it.
 */
export function parseGuarded<T>(ctx: Ctx, parse: (ctx: Ctx) => ParseResult<T>): ParseResult<T> {
  try {
    return parse(ctx);
  } catch (error) {
    if (error instanceof ValidationError) return { kind: 'invalid', error };
    throw error;
  }
}
