import { tool, toolQuiet } from './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../../src/errors.ts';
import { ExecaRunner } from '../../src/kernel/exec/exec.ts';
import { IpsetRestoreError } from '../../src/kernel/ipset/errors.ts';
import { FakeIpset } from '../../src/kernel/ipset/fake.ts';
import { RestoreIpset } from '../../src/kernel/ipset/restore.ts';
import { parseSave } from '../../src/kernel/ipset/save.ts';
import { IpsetTransaction } from '../../src/kernel/ipset/transaction.ts';
import type { Ipset, SetSpec } from '../../src/kernel/ipset/types.ts';
import { TEST_SETS } from '../helpers/ipset-specs.ts';

const S = TEST_SETS;

function kubeSets(): string[] {
  return tool('ipset', 'list', '-n').split('\n').filter((n) => n.startsWith('KUBE-'));
}

function reset(): void {
  toolQuiet('iptables-legacy', '-D', 'INPUT', '-m', 'set', '--match-set', S.clusterIp.name, 'dst,dst', '-j', 'ACCEPT');
  for (const name of kubeSets()) toolQuiet('ipset', 'destroy', name);
}

/** Applies the same transaction to the fake, which starts from the real kernel's current state. */
async function fakeFrom(real: Ipset): Promise<FakeIpset> {
  const fake = new FakeIpset();
  const tx = new IpsetTransaction({ exist: false });
  for (const set of await real.list()) {
    const spec = specs.find((s) => s.name === set.name);
    assert.ok(spec, `unexpected set ${set.name}`);
    tx.create(spec);
    for (const member of set.members) tx.add(spec, member);
  }
  await fake.apply(tx);
  return fake;
}

const specs: SetSpec[] = Object.values(S);

describe('RestoreIpset (real kernel)', () => {
  const ipset = new RestoreIpset(new ExecaRunner());
  before(reset);
  after(reset);

  it('applies every set type, IPv4 and IPv6, and ipset save prints exactly our canonical members', async () => {
    const tx = new IpsetTransaction();
    for (const spec of specs) tx.create(spec);
    tx.add(S.loopBack, '10.0.0.5,tcp:8080,10.0.0.5')
      .add(S.clusterIp, '10.96.0.1,TCP:443').add(S.clusterIp, { ip: '10.96.0.10', protocol: 'udp', port: 53 }).add(S.clusterIp, '10.96.0.11,sctp:9')
      .add(S.sourceCidr, '1.2.3.4,tcp:80,10.0.0.0/8').add(S.sourceCidr, '1.2.3.4,tcp:80,10.1.2.3/32').add(S.sourceCidr, '1.2.3.4,udp:80,128.0.0.0/1')
      .add(S.nodePortTcp, '30080').add(S.nodePortTcp, { port: 65535 })
      .add(S.ipvsIps, '10.96.0.1').add(S.net, '192.168.0.0/16').add(S.net, '192.168.1.1/32')
      .add(S.loopBack6, 'FD00:0:0::5,tcp:8080,fd00::5')
      .add(S.sourceCidr6, 'fd00::1,tcp:80,fd00:1::/64').add(S.sourceCidr6, 'fd00::1,tcp:80,fd00:2::1/128')
      .add(S.ipvsIps6, 'fd00:1:0:1:1:1:1:1').add(S.ipvsIps6, 'fd00:0:0:1:0:0:0:1').add(S.ipvsIps6, '2001:db8:0:0:1:0:0:1');
    await ipset.apply(tx);

    const saved = parseSave(tool('ipset', 'save')).filter((s) => s.name.startsWith('KUBE-'));
    const rendered = new Set(tx.operations.flatMap((op) => (op.op === 'add' ? [`${op.set} ${op.member}`] : [])));
    const listed = new Set(saved.flatMap((s) => s.members.map((m) => `${s.name} ${m}`)));
    assert.deepEqual(listed, rendered, 'ipset save prints our canonical member text byte for byte');
    assert.deepEqual(await ipset.list(), saved);
    const fake = new FakeIpset();
    await fake.apply(tx);
    assert.deepEqual(await ipset.list(), await fake.list(), 'the fake lists what the kernel lists');
    assert.deepEqual(await ipset.listMembers(S.ipvsIps6.name), ['2001:db8::1:0:0:1', 'fd00:0:0:1::1', 'fd00:1:0:1:1:1:1:1']);
    // -exist: re-applying the same transaction is a no-op, not an error.
    await ipset.apply(tx);
    assert.deepEqual(await ipset.list(), saved);
  });

  it('replaceMembers swaps contents under an iptables reference and leaves no temporary set', async () => {
    tool('iptables-legacy', '-A', 'INPUT', '-m', 'set', '--match-set', S.clusterIp.name, 'dst,dst', '-j', 'ACCEPT');
    await ipset.apply(new IpsetTransaction().replaceMembers(S.clusterIp, ['10.96.0.99,tcp:80', '10.96.0.1,tcp:443']));
    assert.deepEqual(await ipset.listMembers(S.clusterIp.name), ['10.96.0.1,tcp:443', '10.96.0.99,tcp:80']);
    assert.ok(!(await ipset.listNames()).includes('KUBE-CLUSTER-IP-TMP'));
    assert.match(tool('ipset', 'list', S.clusterIp.name), /References: 1/);
    // Long IPv6 name: hashed temporary name within 31 characters.
    await ipset.apply(new IpsetTransaction().replaceMembers(S.sourceCidr6, ['fd00::9,udp:53,fd00:9::/48']));
    assert.deepEqual(await ipset.listMembers(S.sourceCidr6.name), ['fd00::9,udp:53,fd00:9::/48']);
    assert.deepEqual(kubeSets().filter((n) => n.includes('-TMP')), []);
  });

  it('a kernel error at line N: the error names line N\'s set and member, lines before N stay applied (same as the fake)', async () => {
    const tx = new IpsetTransaction({ exist: false })
      .add(S.ipvsIps, '10.96.0.2').add(S.ipvsIps, '10.96.0.3').add(S.ipvsIps, '10.96.0.1').add(S.ipvsIps, '10.96.0.4')
      .create({ name: 'KUBE-TEST-NEVER', type: 'hash:ip', family: 4 });
    const fake = await fakeFrom(ipset);
    const err: unknown = await ipset.apply(tx).catch((e: unknown) => e);
    const fakeErr: unknown = await fake.apply(tx).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError && fakeErr instanceof IpsetRestoreError);
    assert.equal(err.line, 3);
    assert.equal(err.errno, Errno.EEXIST);
    assert.equal(err.object, 'set KUBE-IPVS-IPS member 10.96.0.1');
    assert.equal(err.appliedCount, 2);
    assert.deepEqual([fakeErr.line, fakeErr.errno, fakeErr.appliedCount], [3, Errno.EEXIST, 2]);
    assert.deepEqual(await ipset.listMembers(S.ipvsIps.name), ['10.96.0.1', '10.96.0.2', '10.96.0.3']);
    assert.deepEqual(await ipset.list(), await fake.list());
  });

  it('a tool error (add to a missing set) also drops the add run buffered before it (same as the fake)', async () => {
    const gone: SetSpec = { name: 'KUBE-TEST-GONE', type: 'hash:ip', family: 4 };
    const tx = new IpsetTransaction().flush(S.ipvsIps).add(S.ipvsIps, '10.96.1.1').add(S.ipvsIps, '10.96.1.2').add(gone, '10.96.1.3');
    const fake = await fakeFrom(ipset);
    const err: unknown = await ipset.apply(tx).catch((e: unknown) => e);
    const fakeErr: unknown = await fake.apply(tx).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError && fakeErr instanceof IpsetRestoreError);
    assert.deepEqual([err.line, err.errno, err.appliedCount], [4, Errno.ENOENT, 1]);
    assert.deepEqual([fakeErr.line, fakeErr.errno, fakeErr.appliedCount], [4, Errno.ENOENT, 1]);
    assert.deepEqual(await ipset.listMembers(S.ipvsIps.name), [], 'flushed, and the two buffered adds were never sent');
    assert.deepEqual(await ipset.list(), await fake.list());
  });

  it('destroy of a set an iptables rule references fails with EBUSY; swap type mismatch is EINVAL', async () => {
    const fake = await fakeFrom(ipset);
    fake.setReferenced(S.clusterIp.name, true);
    const tx = new IpsetTransaction().add(S.clusterIp, '10.96.0.77,tcp:1').destroy(S.clusterIp);
    const err: unknown = await ipset.apply(tx).catch((e: unknown) => e);
    const fakeErr: unknown = await fake.apply(tx).catch((e: unknown) => e);
    assert.ok(err instanceof IpsetRestoreError && fakeErr instanceof IpsetRestoreError);
    assert.deepEqual([err.line, err.errno, err.code, err.object], [2, Errno.EBUSY, 'EBUSY', 'set KUBE-CLUSTER-IP']);
    assert.deepEqual([fakeErr.line, fakeErr.errno], [2, Errno.EBUSY]);
    assert.deepEqual(await ipset.list(), await fake.list());
    const swap: unknown = await ipset.apply(new IpsetTransaction().swap(S.ipvsIps, S.ipvsIps6)).catch((e: unknown) => e);
    assert.ok(swap instanceof IpsetRestoreError);
    assert.deepEqual([swap.line, swap.errno, swap.object], [1, Errno.EINVAL, 'sets KUBE-IPVS-IPS and KUBE-6-IPVS-IPS']);
  });

  it('kernel quirk: create -exist with the other family succeeds and keeps the old set, except for hash:ip', async () => {
    const fake = await fakeFrom(ipset);
    for (const spec of [S.clusterIp, S.loopBack, S.sourceCidr, S.net]) {
      await ipset.apply(new IpsetTransaction().create({ ...spec, family: 6 }));
      assert.equal((await ipset.list()).find((s) => s.name === spec.name)?.family, 4, spec.type);
      await fake.apply(new IpsetTransaction().create({ ...spec, family: 6 }));
    }
    for (const spec of [{ ...S.ipvsIps, family: 6 as const }, { ...S.clusterIp, maxelem: 10 }]) {
      const err: unknown = await ipset.apply(new IpsetTransaction().create(spec)).catch((e: unknown) => e);
      const fakeErr: unknown = await fake.apply(new IpsetTransaction().create(spec)).catch((e: unknown) => e);
      assert.ok(err instanceof IpsetRestoreError && fakeErr instanceof IpsetRestoreError);
      assert.deepEqual([err.errno, fakeErr.errno], [Errno.EEXIST, Errno.EEXIST]);
    }
    assert.deepEqual(await ipset.list(), await fake.list());
  });

  it('restores 20k members in one process', async () => {
    const spec: SetSpec = { name: 'KUBE-TEST-BIG', type: 'hash:ip,port', family: 4 };
    const members: string[] = [];
    for (let i = 0; i < 20_000; i++) members.push(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255},tcp:${1 + (i % 3)}`);
    const runner = new ExecaRunner();
    let processes = 0;
    const counted = new RestoreIpset({ run: (c, a, o) => { processes++; return runner.run(c, a, o); } });
    const started = performance.now();
    await counted.apply(new IpsetTransaction().replaceMembers(spec, members));
    const ms = performance.now() - started;
    console.log(`20000-member replaceMembers: ${ms.toFixed(0)} ms in ${processes} ipset process(es)`);
    assert.equal(processes, 1);
    assert.equal((await ipset.listMembers(spec.name)).length, 20_000);
    await ipset.apply(new IpsetTransaction().destroy(spec));
  });
});
