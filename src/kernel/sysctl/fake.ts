/**
 * In-memory Sysctl that behaves like /proc/sys for the keys it knows: unknown keys are ENOENT
 * (as when a module such as ip_vs is not loaded), integer keys refuse non-integers with EINVAL
 * (proc_dointvec), and every successful write is recorded for assertions.
 */
import { Errno, KernelError } from '../../errors.ts';
import { parseSysctlName, parseSysctlValue } from './name.ts';
import type { Sysctl } from './types.ts';

const INTEGER = /^-?[0-9]+$/;

export class FakeSysctl implements Sysctl {
  readonly #values: Map<string, string>;
  /** Successful writes in order, `name=value`. */
  readonly writes: string[] = [];

  /** `keys`: the sysctls that exist, with their current values. Integer-valued keys stay integers. */
  constructor(keys: Readonly<Record<string, string>>) {
    this.#values = new Map(Object.entries(keys));
  }

  get(name: string): Promise<string> {
    return Promise.resolve().then(() => this.#get(name));
  }

  set(name: string, value: string): Promise<void> {
    return Promise.resolve().then(() => this.#set(name, value));
  }

  #get(name: string): string {
    const ctx = { operation: 'sysctl.get', object: name };
    const value = this.#values.get(parseSysctlName(name, ctx));
    if (value === undefined) throw new KernelError(Errno.ENOENT, ctx);
    return value;
  }

  #set(name: string, value: string): void {
    const ctx = { operation: 'sysctl.set', object: name };
    const key = parseSysctlName(name, ctx);
    const text = parseSysctlValue(value, { ...ctx, object: `${name}=${value}` });
    const current = this.#values.get(key);
    if (current === undefined) throw new KernelError(Errno.ENOENT, ctx);
    if (INTEGER.test(current) && !INTEGER.test(text.trim())) throw new KernelError(Errno.EINVAL, ctx);
    this.#values.set(key, INTEGER.test(current) ? String(BigInt(text.trim())) : text);
    this.writes.push(`${key}=${text}`);
  }
}
