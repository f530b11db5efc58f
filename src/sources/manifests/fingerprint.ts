/** A cheap summary of a directory's manifest files (names, sizes, mtimes) to detect changes by polling. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export async function directoryFingerprint(dir: string): Promise<string> {
  const names = (await readdir(dir)).sort();
  const parts = await Promise.all(names.map(async (name) => {
    try {
      const s = await stat(join(dir, name));
      return `${name}:${s.size}:${s.mtimeMs}`;
    } catch {
      return `${name}:gone`; // removed between readdir and stat: the next poll settles it
    }
  }));
  return parts.join('|');
}
