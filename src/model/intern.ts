/**
 * One string per distinct node or zone name. Every endpoint names its node, and a source's parser
 * (JSON or YAML) makes a new string for each occurrence: at 100k endpoints on a few hundred nodes
 * that is 100k copies of a few hundred names. The table is bounded (a cluster has at most a few
 * thousand nodes); when it fills up it starts over, which only costs some sharing.
 */
const MAX_NAMES = 10_000;
const names = new Map<string, string>();

export function intern(value: string): string {
  const known = names.get(value);
  if (known !== undefined) return known;
  if (names.size >= MAX_NAMES) names.clear();
  names.set(value, value);
  return value;
}

export function internOptional(value: string | undefined): string | undefined {
  return value === undefined ? undefined : intern(value);
}
