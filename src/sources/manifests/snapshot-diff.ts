/** Turns two consecutive snapshots into per-object updates for the engine's change trackers. */
export function diffSnapshots<V>(
  previous: ReadonlyMap<string, V>,
  current: ReadonlyMap<string, V>,
  update: (previous: V | undefined, current: V | undefined) => void,
): void {
  for (const [key, value] of current) {
    const old = previous.get(key);
    if (old !== value) update(old, value);
  }
  for (const [key, value] of previous) if (!current.has(key)) update(value, undefined);
}
