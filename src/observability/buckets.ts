/** Histogram buckets exactly as upstream builds them (client_golang / component-base helpers). */

export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, next = start; i < count; i++, next *= factor) out.push(next);
  return out;
}

export function linearBuckets(start: number, width: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, next = start; i < count; i++, next += width) out.push(next);
  return out;
}

/** component-base MergeBuckets: note it starts from a 0 bucket, so upstream's first bound is 0. */
export function mergeBuckets(...lists: number[][]): number[] {
  return [0, ...lists.flat()];
}

/** kubeproxy_sync_*proxy_rules_duration_seconds: 1 ms … 16.384 s. */
export const SYNC_DURATION_BUCKETS = exponentialBuckets(0.001, 2, 15);

/** kubeproxy_network_programming_duration_seconds: 0, 0.25, 0.5, 1…59, 60…115, 120…300. */
export const NETWORK_PROGRAMMING_BUCKETS = mergeBuckets(
  linearBuckets(0.25, 0.25, 2),
  linearBuckets(1, 1, 59),
  linearBuckets(60, 5, 12),
  linearBuckets(120, 30, 7),
);
