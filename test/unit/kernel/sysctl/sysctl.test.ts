import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Errno, KernelError, ValidationError, hasErrno } from '../../../../src/errors.ts';
import { ProcSysctl } from '../../../../src/kernel/sysctl/procfs.ts';
import { FakeSysctl } from '../../../../src/kernel/sysctl/fake.ts';
import { parseSysctlName } from '../../../../src/kernel/sysctl/name.ts';
import type { Sysctl } from '../../../../src/kernel/sysctl/types.ts';

const ctx = { operation: 'test' };

describe('parseSysctlName', () => {
  for (const good of ['net/ipv4/vs/conntrack', 'net/ipv4/conf/eth0.100/rp_filter', 'net/ipv6/conf/kube-ipvs0/accept_dad']) {
    it(`accepts ${good}`, () => assert.equal(parseSysctlName(good, ctx), good));
  }
  for (const bad of ['', '../etc/passwd', 'net/../../etc/shadow', 'net/./ipv4', '/net/ipv4', 'net//ipv4', 'net/ipv4/', 'Net/IPv4', 'net/ipv4/vs conntrack', 'net\nipv4', 'net.ipv4.ip_forward.x/..']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseSysctlName(bad, ctx), ValidationError));
  }
});

/** Behaviour shared by the real implementation (on a fake root) and the fake. */
function contract(name: string, make: () => Promise<Sysctl>): void {
  describe(`${name} contract`, () => {
    it('reads without the trailing newline and writes a value back', async () => {
      const s = await make();
      assert.equal(await s.get('net/ipv4/vs/conntrack'), '0');
      await s.set('net/ipv4/vs/conntrack', '1');
      assert.equal(await s.get('net/ipv4/vs/conntrack'), '1');
    });
    it('rejects a missing key with KernelError ENOENT naming the key', async () => {
      const s = await make();
      for (const op of [() => s.get('net/ipv4/vs/nope'), () => s.set('net/ipv4/vs/nope', '1')]) {
        await assert.rejects(op, (err: unknown) => {
          assert.ok(err instanceof KernelError);
          assert.equal(err.errno, Errno.ENOENT);
          assert.equal(err.object, 'net/ipv4/vs/nope');
          return true;
        });
      }
    });
    it('validates names and values before touching anything', async () => {
      const s = await make();
      await assert.rejects(s.get('../../etc/passwd'), ValidationError);
      await assert.rejects(s.set('net/ipv4/vs/conntrack', '1\n0'), ValidationError);
      await assert.rejects(s.set('net/ipv4/vs/conntrack', ''), ValidationError);
      assert.equal(await s.get('net/ipv4/vs/conntrack'), '0');
    });
  });
}

describe('ProcSysctl on an injected root', () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sysctl-'));
  });
  after(async () => rm(root, { recursive: true, force: true }));

  async function fresh(): Promise<ProcSysctl> {
    const dir = await mkdtemp(join(root, 'r-'));
    await mkdir(join(dir, 'net/ipv4/vs'), { recursive: true });
    await writeFile(join(dir, 'net/ipv4/vs/conntrack'), '0\n');
    return new ProcSysctl(dir);
  }
  contract('ProcSysctl', fresh);

  it('writes exactly one line and never creates a missing file', async () => {
    const dir = await mkdtemp(join(root, 'w-'));
    await mkdir(join(dir, 'net/ipv4'), { recursive: true });
    await writeFile(join(dir, 'net/ipv4/ip_forward'), '0\n');
    const s = new ProcSysctl(dir);
    await s.set('net/ipv4/ip_forward', '1');
    assert.equal(await readFile(join(dir, 'net/ipv4/ip_forward'), 'utf8'), '1\n');
    await assert.rejects(s.set('net/ipv4/new_key', '1'), (e) => hasErrno(e, Errno.ENOENT));
    await assert.rejects(access(join(dir, 'net/ipv4/new_key')));
  });

  it('maps EISDIR for a directory name to a KernelError', async () => {
    const s = await fresh();
    await assert.rejects(s.get('net/ipv4'), (e: unknown) => e instanceof KernelError && e.errno === 21);
  });
});

describe('FakeSysctl', () => {
  contract('FakeSysctl', () => Promise.resolve(new FakeSysctl({ 'net/ipv4/vs/conntrack': '0' })));

  it('refuses non-integers for integer keys with EINVAL and records writes', async () => {
    const s = new FakeSysctl({ 'net/ipv4/vs/expire_nodest_conn': '0', 'net/ipv4/ip_local_port_range': '32768\t60999' });
    await assert.rejects(s.set('net/ipv4/vs/expire_nodest_conn', 'yes'), (e) => hasErrno(e, Errno.EINVAL));
    await s.set('net/ipv4/vs/expire_nodest_conn', '01');
    assert.equal(await s.get('net/ipv4/vs/expire_nodest_conn'), '1');
    await s.set('net/ipv4/ip_local_port_range', '1024\t65000');
    assert.deepEqual(s.writes, ['net/ipv4/vs/expire_nodest_conn=01', 'net/ipv4/ip_local_port_range=1024\t65000']);
  });
});
