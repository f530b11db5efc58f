/** Why a directory entry cannot be read, in words, from Node's error codes and file types (never message text). */

export interface FileType {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}

export function nonFileReason(s: FileType): string {
  if (s.isDirectory()) return 'a directory, not a file';
  // Opening a FIFO for reading blocks until a writer comes: it is refused before it is opened.
  if (s.isFIFO()) return 'a FIFO (named pipe), not a file; not opened';
  if (s.isCharacterDevice()) return 'a character device, not a file; not opened';
  if (s.isBlockDevice()) return 'a block device, not a file; not opened';
  if (s.isSocket()) return 'a socket, not a file';
  return 'not a regular file';
}

/** Node's `code` of an error (`ELOOP`, `EACCES`, `ERR_WORKER_OUT_OF_MEMORY`, …), if it has one. */
export function nodeErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

export function unreadableReason(err: unknown, danglingLink: boolean): string {
  const code = nodeErrorCode(err);
  switch (code) {
    case 'ELOOP': return 'symbolic link loop (ELOOP)';
    case 'ENOENT': return danglingLink ? 'dangling symbolic link: its target does not exist (ENOENT)' : 'removed while being read (ENOENT)';
    case 'EACCES': case 'EPERM': return `permission denied (${code})`;
    case 'ENOTDIR': return 'a symbolic link through something that is not a directory (ENOTDIR)';
    case 'EIO': return 'I/O error (EIO)';
    case undefined: return `cannot be read (${String(err)})`;
    default: return `cannot be read (${code})`;
  }
}

export function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}
