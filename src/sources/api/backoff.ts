/**
 * Capped exponential backoff with jitter, for restarting an informer after its watch or list
 * failed. Jitter spreads the reconnects of many nodes after an API server restart.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Each delay is scaled by a factor in [1 - jitter, 1 + jitter). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, jitter: 0.2 };

/** Delay before restart number `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  const factor = 1 + options.jitter * (2 * random() - 1);
  return Math.round(Math.min(options.maxMs, base * factor));
}
