/**
 * kube-proxy's change tracker: between two syncs, each object's change is held as
 * `{previous, current}`, where `previous` is what the last sync saw. Several updates of one object
 * collapse into one change, and an edit that is later reverted drops out entirely.
 */
import { isDeepStrictEqual } from 'node:util';

export interface Change<V> {
  readonly previous: V | undefined;
  readonly current: V | undefined;
}

export class ChangeTracker<V> {
  private pending = new Map<string, { previous: V | undefined; current: V | undefined }>();

  /** Records that `key` went from `previous` to `current` (undefined: absent). */
  update(key: string, previous: V | undefined, current: V | undefined): void {
    const entry = this.pending.get(key);
    const change = entry === undefined ? { previous, current } : { previous: entry.previous, current };
    if (isDeepStrictEqual(change.previous, change.current)) this.pending.delete(key);
    else this.pending.set(key, change);
  }

  /** The accumulated changes; the tracker starts empty again. */
  take(): Map<string, Change<V>> {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  get size(): number {
    return this.pending.size;
  }
}
