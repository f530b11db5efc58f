/**
 * Turns two consecutive snapshots into per-object updates for the engine's change trackers, in
 * slices: the first load of a large directory is every object at once.
 */
import { Slicer } from './slicer.ts';

export async function diffSnapshots<V>(
  previous: ReadonlyMap<string, V>,
  current: ReadonlyMap<string, V>,
  update: (previous: V | undefined, current: V | undefined) => void,
  slicer: Slicer = new Slicer(),
): Promise<void> {
  for (const [key, value] of current) {
    const old = previous.get(key);
    if (old !== value) update(old, value);
    await slicer.pause();
  }
  for (const [key, value] of previous) {
    if (!current.has(key)) update(value, undefined);
    await slicer.pause();
  }
}
