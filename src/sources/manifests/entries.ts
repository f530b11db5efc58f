/**
 * The directory's manifest entries (`.yaml`, `.yml`, `.json`, not hidden), each with the stat
 * key that says whether it changed since it was last read, or why it cannot be read at all. Only
 * stat and lstat run here (asynchronously): nothing is opened, so no FIFO or device can block.
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError, type FileFailure } from './manifest-error.ts';
import { nodeErrorCode, nonFileReason, unreadableReason } from './fs-reasons.ts';
import { tooLarge } from './read-file.ts';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

export interface Entry {
  readonly name: string;
  /**
   * Changes whenever what reading the entry would give can have changed: the target's device,
   * inode, size, mtime and ctime (a ConfigMap's symlink swap changes the inode), or the lstat and
   * error of an entry that cannot be stat'ed.
   */
  readonly key: string;
  readonly size: number;
  /** Why it is skipped without being read. */
  readonly failure?: FileFailure | undefined;
}

export async function listEntries(dir: string, maxFileBytes: number): Promise<Entry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw directoryError(dir, err);
  }
  const candidates = names.filter((n) => MANIFEST_FILE.test(n) && !n.startsWith('.')).sort();
  const entries = await Promise.all(candidates.map((name) => examine(join(dir, name), name, maxFileBytes)));
  return entries.filter((e) => e !== undefined);
}

async function examine(path: string, name: string, maxFileBytes: number): Promise<Entry | undefined> {
  let s: BigIntStats;
  try {
    s = await stat(path, { bigint: true });
  } catch (err) {
    return unstatable(path, name, err);
  }
  const key = statKey(s);
  const size = Number(s.size);
  if (!s.isFile()) return { name, key, size: 0, failure: { code: 'ERR_MANIFEST_NOT_A_FILE', field: 'file', reason: nonFileReason(s) } };
  if (size > maxFileBytes) return { name, key, size: 0, failure: tooLarge(size, maxFileBytes).failure };
  return { name, key, size };
}

/** A loop, a dangling link, a permission: named by what lstat sees. Gone since readdir: nothing to say. */
async function unstatable(path: string, name: string, err: unknown): Promise<Entry | undefined> {
  try {
    const l = await lstat(path, { bigint: true });
    const reason = unreadableReason(err, l.isSymbolicLink());
    return { name, key: `${statKey(l)}|${nodeErrorCode(err) ?? '?'}`, size: 0, failure: { code: 'ERR_MANIFEST_UNREADABLE', field: 'file', reason } };
  } catch {
    return undefined;
  }
}

/** The one failure that is not a skip: without the directory there is nothing to serve. */
export function directoryError(dir: string, err: unknown): ManifestError {
  const code = nodeErrorCode(err);
  const reason = code === 'ENOENT' ? 'does not exist (ENOENT)' : code === 'ENOTDIR' ? 'is not a directory (ENOTDIR)' : unreadableReason(err, false);
  return new ManifestError('ERR_MANIFEST_DIRECTORY', dir, 'directory', `manifests directory ${dir} ${reason}`, { object: `directory ${dir}`, cause: err });
}

export function statKey(s: BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
