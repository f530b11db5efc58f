import { ValidationError } from '../errors.ts';
import type { Ctx } from '../validate/validate.ts';

/**
 * Outcome of turning one Kubernetes object into a model value. `ignored` is not an error: headless
 * and ExternalName services are simply not the proxier's business.
 *
 * `ok` may carry `problems`: parts of the object that were refused on their own (one bad externalIP,
 * one endpoint with a loopback address, a port out of range) while the rest stays meaningful and is
 * served. Sources report each problem like an `invalid` object's error, naming object and field.
 */
export type ParseResult<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly problems?: readonly ValidationError[] }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly error: ValidationError };

/** Limits the model enforces that come from configuration, not from the object itself. */
export interface ModelLimits {
  /** Inclusive node-port range (the API server's --service-node-port-range); default 30000-32767. */
  readonly nodePortRange: { readonly from: number; readonly to: number };
}

export const DEFAULT_MODEL_LIMITS: ModelLimits = { nodePortRange: { from: 30000, to: 32767 } };

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

/**
 * Parses one part of an object that can be refused on its own: a ValidationError becomes a
 * problem and the part is skipped (undefined); anything else still propagates.
 */
export function skipPart<T>(problems: ValidationError[], parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push(error);
    return undefined;
  }
}

/** `ok`, with `problems` only when there are some (so a clean result stays `{ kind, value }`). */
export function okResult<T>(value: T, problems: readonly ValidationError[]): ParseResult<T> {
  return problems.length === 0 ? { kind: 'ok', value } : { kind: 'ok', value, problems };
}
