/**
 * The real Sysctl: reads and writes files under /proc/sys (root injectable for tests).
 */
import { constants } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelError, type ErrorContext } from '../../errors.ts';
import { osErrno } from './errno.ts';
import { parseSysctlName, parseSysctlValue } from './name.ts';
import type { Sysctl } from './types.ts';

export class ProcSysctl implements Sysctl {
  readonly #root: string;

  constructor(root = '/proc/sys') {
    this.#root = root;
  }

  async get(name: string): Promise<string> {
    const ctx = { operation: 'sysctl.get', object: name };
    const path = join(this.#root, parseSysctlName(name, ctx));
    try {
      const text = await readFile(path, 'utf8');
      return text.endsWith('\n') ? text.slice(0, -1) : text;
    } catch (err) {
      throw toKernelError(err, ctx);
    }
  }

  async set(name: string, value: string): Promise<void> {
    const ctx = { operation: 'sysctl.set', object: name };
    const path = join(this.#root, parseSysctlName(name, ctx));
    const text = parseSysctlValue(value, { ...ctx, object: `${name}=${value}` });
    try {
      // No O_CREAT: a missing key must be ENOENT, not a new regular file (matters for an injected
      // root). O_WRONLY, not O_RDWR: some sysctls are write-only (0200, e.g. net/ipv4/route/flush).
      await writeFile(path, `${text}\n`, { flag: constants.O_WRONLY | constants.O_TRUNC });
    } catch (err) {
      throw toKernelError(err, ctx);
    }
  }
}

/** fs errors become KernelError with the errno; anything else (a bug) is rethrown unchanged. */
function toKernelError(err: unknown, ctx: Pick<ErrorContext, 'operation' | 'object'>): unknown {
  const errno = osErrno(err);
  if (errno === undefined) return err;
  return new KernelError(errno, { ...ctx, cause: err });
}
