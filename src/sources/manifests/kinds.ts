/**
 * Which objects in the directory are ours. Other kinds (Deployments, ConfigMaps…) may share the
 * directory and are ignored quietly; but a document with no kind, a kind one slip away from
 * Service or EndpointSlice, or a kind that its apiVersion does not have is almost certainly a
 * Service or EndpointSlice someone meant to write, and silently ignoring it is how a Service goes
 * missing without a word.
 */

export type KindVerdict =
  | { readonly verdict: 'ours'; readonly kind: 'Service' | 'EndpointSlice' }
  | { readonly verdict: 'other'; readonly kind: string }
  | { readonly verdict: 'suspicious'; readonly reason: string };

const OURS = ['Service', 'EndpointSlice'] as const;
/** At most this many single-character edits away from one of ours: a typo (Servcie, Sevice, EndpointSlices). */
const TYPO_DISTANCE = 2;

/** core/v1's kinds (`kubectl api-resources --api-group=''`), plus the list wrapper. */
const CORE_V1_KINDS = new Set([
  'Binding', 'ComponentStatus', 'ConfigMap', 'Endpoints', 'Event', 'LimitRange', 'List', 'Namespace', 'Node',
  'PersistentVolume', 'PersistentVolumeClaim', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota',
  'Secret', 'Service', 'ServiceAccount', 'Status',
]);

export function classifyKind(object: Readonly<Record<string, unknown>>): KindVerdict {
  const { kind, apiVersion } = object;
  if (kind === 'Service' || kind === 'EndpointSlice') return { verdict: 'ours', kind };
  if (typeof kind !== 'string' || kind === '') return { verdict: 'suspicious', reason: 'no kind' };
  const meant = OURS.find((k) => k.toLowerCase() === kind.toLowerCase() || editDistance(k, kind, TYPO_DISTANCE) <= TYPO_DISTANCE);
  if (meant !== undefined) return { verdict: 'suspicious', reason: `kind ${JSON.stringify(kind)} looks like a misspelling of ${meant}` };
  if (apiVersion === 'v1' && !CORE_V1_KINDS.has(kind.replace(/List$/, ''))) {
    return { verdict: 'suspicious', reason: `kind ${JSON.stringify(kind)} is not a kind of apiVersion v1` };
  }
  if (typeof apiVersion === 'string' && apiVersion.startsWith('discovery.k8s.io/') && kind !== 'EndpointSliceList') {
    return { verdict: 'suspicious', reason: `kind ${JSON.stringify(kind)} is not a kind of ${apiVersion} (EndpointSlice is)` };
  }
  return { verdict: 'other', kind };
}

/** Levenshtein distance, or `limit + 1` as soon as it is certain to exceed `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(substitution, (previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1));
    }
    if (Math.min(...row) > limit) return limit + 1;
    previous = row;
  }
  return previous[b.length] ?? limit + 1;
}
