/**
 * A cheap summary of a directory's entries, to detect changes by polling (inotify misses some:
 * hostfs, NFS). Each entry contributes its lstat and, for a symbolic link, its target's stat: a
 * ConfigMap volume's update is a symlink swap, which changes the link, not the files' names.
 * An entry that cannot be stat'ed contributes its error code, so it changes when it is fixed.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { directoryError, statKey } from './entries.ts';
import { nodeErrorCode } from './fs-reasons.ts';

export async function directoryFingerprint(dir: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    throw directoryError(dir, err);
  }
  const parts = await Promise.all(names.map((name) => entryFingerprint(join(dir, name), name)));
  return parts.join('|');
}

async function entryFingerprint(path: string, name: string): Promise<string> {
  let link: BigIntStats;
  try {
    link = await lstat(path, { bigint: true });
  } catch {
    return `${name}:gone`; // removed between readdir and lstat: the next poll settles it
  }
  if (!link.isSymbolicLink()) return `${name}:${statKey(link)}`;
  try {
    return `${name}:${statKey(link)}>${statKey(await stat(path, { bigint: true }))}`;
  } catch (err) {
    return `${name}:${statKey(link)}>${nodeErrorCode(err) ?? 'error'}`;
  }
}
