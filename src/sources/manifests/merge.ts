/**
 * Every file's objects into one snapshot. Two files defining the same Service (or EndpointSlice)
 * namespace/name is refused, naming both files: the copy already being served keeps winning (a new
 * file cannot take over a running Service by sorting first); with no copy served yet, the file that
 * sorts first wins. Either way the outcome depends only on the files and what was served before.
 */
import { ManifestError } from './manifest-error.ts';
import type { Slicer } from './slicer.ts';
import type { ManifestObjects } from './types.ts';

export interface Conflict {
  /** `Service shop/web` */
  readonly object: string;
  readonly winner: string;
  readonly loser: string;
  /** Why the winner won: it was being served, or it sorts first. */
  readonly incumbent: boolean;
}

export interface Merged extends ManifestObjects {
  /** `Kind namespace/name` → the file it is served from. */
  readonly owners: Map<string, string>;
  readonly conflicts: readonly Conflict[];
}

/** `files` in name order; `served` is the previous merge's owners. */
export async function mergeFiles(files: readonly (readonly [string, ManifestObjects])[], served: ReadonlyMap<string, string>, slicer: Slicer): Promise<Merged> {
  const owners = new Map<string, string>();
  const conflicts: Conflict[] = [];
  const merge = async <V>(kind: string, pick: (o: ManifestObjects) => Map<string, V>): Promise<Map<string, V>> => {
    const out = new Map<string, V>();
    for (const [file, objects] of files) {
      for (const [key, value] of pick(objects)) {
        const object = `${kind} ${key}`;
        const owner = owners.get(object);
        if (owner === undefined || (served.get(object) === file && owner !== file)) {
          if (owner !== undefined) conflicts.push({ object, winner: file, loser: owner, incumbent: true });
          owners.set(object, file);
          out.set(key, value);
        } else {
          conflicts.push({ object, winner: owner, loser: file, incumbent: served.get(object) === owner });
        }
        await slicer.pause();
      }
    }
    return out;
  };
  const services = await merge('Service', (o) => o.services);
  const slices = await merge('EndpointSlice', (o) => o.slices);
  return { services, slices, owners, conflicts };
}

export function conflictSignature(c: Conflict): string {
  return `${c.object}\n${c.winner}\n${c.loser}`;
}

export function conflictError(c: Conflict): ManifestError {
  const why = c.incumbent ? `is already served from file ${c.winner}` : `is also in file ${c.winner}, which sorts first`;
  const object = `${c.object} (file ${c.loser})`;
  return new ManifestError('ERR_MANIFEST_DUPLICATE', c.loser, 'metadata.name', `${object}: duplicate: ${c.object} ${why}; the copy in file ${c.loser} is ignored`, { object });
}
