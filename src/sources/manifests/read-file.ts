/**
 * Reads one manifest file's bytes in the parser thread, bounded. The event loop has already
 * refused non-files by stat; the checks here repeat on the open descriptor because the entry can
 * be swapped in between (a ConfigMap volume does exactly that).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { FileFailureError } from './manifest-error.ts';
import { formatBytes, nonFileReason, unreadableReason } from './fs-reasons.ts';

const CHUNK_BYTES = 1024 * 1024;

export function readManifestBytes(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    // O_NONBLOCK: should a FIFO have replaced the file since the stat, open must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new FileFailureError('ERR_MANIFEST_UNREADABLE', 'file', unreadableReason(err, isSymlink(path)));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new FileFailureError('ERR_MANIFEST_NOT_A_FILE', 'file', nonFileReason(stats));
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes);
    return readAll(fd, maxBytes);
  } catch (err) {
    if (err instanceof FileFailureError) throw err;
    throw new FileFailureError('ERR_MANIFEST_UNREADABLE', 'file', unreadableReason(err, false));
  } finally {
    closeSync(fd);
  }
}

/** Until end of file, but never more than maxBytes: the file may grow while it is read. */
function readAll(fd: number, maxBytes: number): Uint8Array {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > maxBytes) throw tooLarge(total, maxBytes);
  }
}

export function tooLarge(size: number, maxBytes: number): FileFailureError {
  return new FileFailureError('ERR_MANIFEST_TOO_LARGE', 'size', `${formatBytes(size)} is over the ${formatBytes(maxBytes)} limit per file`);
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
