/** What loading a manifests directory produces. */
import type { ProxierError } from '../../errors.ts';
import type { EndpointSliceInfo, Service } from '../../model/types.ts';

export interface ManifestObjects {
  /** Keyed `namespace/name`. */
  readonly services: Map<string, Service>;
  readonly slices: Map<string, EndpointSliceInfo>;
}

export function emptyObjects(): ManifestObjects {
  return { services: new Map(), slices: new Map() };
}

/** Something skipped, reported once per change of the file it is in: one log line. */
export interface ManifestProblem {
  readonly file: string;
  /** `error`: something meant for us was skipped; `warn`: something looks meant for us but is not. */
  readonly level: 'error' | 'warn';
  readonly error: ProxierError;
}

/** A summary line about a file (problems not shown, kinds ignored). */
export interface ManifestNote {
  readonly file: string;
  readonly level: 'warn' | 'debug';
  readonly message: string;
}

export interface LoadResult extends ManifestObjects {
  /** New since the previous load: what the changed files hold that is wrong. */
  readonly problems: readonly ManifestProblem[];
  readonly notes: readonly ManifestNote[];
  /** The files read this load, in order: only the new and changed ones. */
  readonly read: readonly string[];
}
