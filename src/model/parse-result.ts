import type { ValidationError } from '../errors.ts';

/**
 * Outcome of turning one Kubernetes object into a model value. `ignored` is not an error: headless
 * and ExternalName services are simply not the proxier's business.
 */
export type ParseResult<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly error: ValidationError };
