import './require-sandbox.ts';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tool, toolQuiet } from './require-sandbox.ts';
import { Errno, KernelError } from '../../src/errors.ts';
import { ProcSysctl } from '../../src/kernel/sysctl/procfs.ts';

const KEYS = ['net/ipv4/vs/conntrack', 'net/ipv4/vs/expire_nodest_conn', 'net/ipv4/ip_forward'] as const;

/** What Debian's sysctl(8) prints for a key (dot form, `-n`: value only). */
function sysctlTool(name: string): string {
  return tool('sysctl', '-n', name.replaceAll('/', '.')).trim();
}

describe('ProcSysctl against the real /proc/sys', () => {
  const sysctl = new ProcSysctl();
  const saved = new Map<string, string>();

  before(() => {
    // net/ipv4/vs/* only exists once ip_vs is loaded.
    tool('modprobe', 'ip_vs');
    for (const key of KEYS) saved.set(key, sysctlTool(key));
  });
  after(() => {
    for (const [key, value] of saved) toolQuiet('sysctl', '-w', `${key.replaceAll('/', '.')}=${value}`);
  });

  for (const key of KEYS) {
    it(`sets and gets ${key}, agreeing with sysctl(8)`, async () => {
      for (const value of ['1', '0', '1']) {
        await sysctl.set(key, value);
        assert.equal(await sysctl.get(key), value);
        assert.equal(sysctlTool(key), value);
      }
      tool('sysctl', '-w', `${key.replaceAll('/', '.')}=0`);
      assert.equal(await sysctl.get(key), '0');
    });
  }

  it('reads a multi-value key with its tab separator, like sysctl(8) prints it', async () => {
    const value = await sysctl.get('net/ipv4/ip_local_port_range');
    assert.match(value, /^[0-9]+\t[0-9]+$/);
    assert.equal(value, sysctlTool('net/ipv4/ip_local_port_range'));
  });

  it('reports a missing key as KernelError ENOENT for get and set', async () => {
    for (const op of [() => sysctl.get('net/ipv4/vs/no_such_key'), () => sysctl.set('net/ipv4/vs/no_such_key', '1')]) {
      await assert.rejects(op, (err: unknown) => {
        assert.ok(err instanceof KernelError);
        assert.equal(err.errno, Errno.ENOENT);
        assert.equal(err.object, 'net/ipv4/vs/no_such_key');
        return true;
      });
    }
  });

  it('reports a value the kernel refuses as KernelError EINVAL and keeps the old value', async () => {
    await sysctl.set('net/ipv4/vs/conntrack', '1');
    await assert.rejects(sysctl.set('net/ipv4/vs/conntrack', 'yes'), (e: unknown) => e instanceof KernelError && e.errno === Errno.EINVAL);
    assert.equal(await sysctl.get('net/ipv4/vs/conntrack'), '1');
  });
});
