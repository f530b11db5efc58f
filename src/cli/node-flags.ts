/**
 * V8 flags the daemon runs with. `bin/ipvs-proxier.js` passes them in its shebang (a unit test keeps
 * the two in step), and the benchmark starts its engine process with them, so it measures the
 * daemon as shipped.
 *
 * --max-semi-space-size=4: the engine's garbage is short-lived (decoded dumps, plans), and V8
 * otherwise grows each young-generation semi-space to 16 MiB. At 10k services × 10 endpoints
 * this lowered peak RSS from 284 to 217 MiB and made the full re-read faster (7.0 → 4.7 s), with
 * the cold sync unchanged within noise (docs/benchmarks.md). 2 MiB saved no more and was ~30 %
 * slower.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
