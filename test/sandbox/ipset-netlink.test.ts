import './require-sandbox.ts';
import { tool } from './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, type KernelError } from '../../src/errors.ts';
import { ExecaRunner, type CommandRunner } from '../../src/kernel/exec/exec.ts';
import { IpsetRestoreError } from '../../src/kernel/ipset/errors.ts';
import { FakeIpset } from '../../src/kernel/ipset/fake.ts';
import { HybridIpset } from '../../src/kernel/ipset/hybrid.ts';
import { NetlinkIpsetMembers } from '../../src/kernel/ipset/netlink.ts';
import { IpsetNetlinkError } from '../../src/kernel/ipset/netlink-error.ts';
import { RestoreIpset } from '../../src/kernel/ipset/restore.ts';
import { parseSave } from '../../src/kernel/ipset/save.ts';
import { IpsetTransaction } from '../../src/kernel/ipset/transaction.ts';
import type { Ipset, SetSpec } from '../../src/kernel/ipset/types.ts';
import { resetProxierState } from './reset.ts';
import { TEST_SETS } from '../helpers/ipset-specs.ts';

const S = TEST_SETS;
const specs: SetSpec[] = Object.values(S);

let processes = 0;
const exec = new ExecaRunner();
const counting: CommandRunner = { run: (c, a, o) => { processes++; return exec.run(c, a, o); } };
const restore = new RestoreIpset(counting);
const members = new NetlinkIpsetMembers();
const hybrid = new HybridIpset(restore, members);

/** Our sets only (resetProxierState also walks iptables, which is slow here). */
function destroySets(): void {
  for (const name of tool('ipset', 'list', '-n').split('\n')) if (name.startsWith('KUBE-')) tool('ipset', 'destroy', name);
}

function saved(): Map<string, readonly string[]> {
  return new Map(parseSave(tool('ipset', 'save')).filter((s) => s.name.startsWith('KUBE-')).map((s) => [s.name, s.members]));
}

async function createAll(ipset: Ipset): Promise<void> {
  const tx = new IpsetTransaction();
  for (const spec of specs) tx.create(spec);
  await ipset.apply(tx);
}

async function failure(ipset: Ipset, tx: IpsetTransaction): Promise<unknown> {
  return ipset.apply(tx).then(() => undefined, (e: unknown) => e);
}

/** A transaction of adds of every type, IPv4 and IPv6, in the text and entry forms. */
function addEveryType(): IpsetTransaction {
  return new IpsetTransaction()
    .add(S.loopBack, '10.0.0.5,tcp:8080,10.0.0.5').add(S.loopBack, '10.0.0.6,sctp:9,10.0.0.6')
    .add(S.clusterIp, '10.96.0.1,TCP:443').add(S.clusterIp, { ip: '10.96.0.10', protocol: 'udp', port: 53 })
    .add(S.sourceCidr, '1.2.3.4,tcp:80,10.0.0.0/8').add(S.sourceCidr, '1.2.3.4,tcp:80,10.1.2.3/32').add(S.sourceCidr, '1.2.3.4,udp:80,128.0.0.0/1')
    .add(S.nodePortTcp, '30080').add(S.nodePortTcp, { port: 65535 }).add(S.nodePortTcp, '1')
    .add(S.ipvsIps, '10.96.0.1').add(S.net, '192.168.0.0/16').add(S.net, '192.168.1.1/32')
    .add(S.loopBack6, 'FD00:0:0::5,tcp:8080,fd00::5')
    .add(S.sourceCidr6, 'fd00::1,tcp:80,fd00:1::/64').add(S.sourceCidr6, 'fd00::1,tcp:80,fd00:2::1/128')
    .add(S.ipvsIps6, 'fd00:1:0:1:1:1:1:1').add(S.ipvsIps6, '2001:db8:0:0:1:0:0:1')
    .add(S.net6, 'fd00:abcd::/32').add(S.net6, 'fd00::7/128');
}

describe('ipset member changes over netlink (real kernel)', () => {
  before(resetProxierState);
  after(() => {
    members.close();
    resetProxierState();
  });

  it('adds and deletes members of every set type, IPv4 and IPv6, with no process; ipset save shows exactly the canonical members', async () => {
    await createAll(restore);
    const tx = addEveryType();
    processes = 0;
    await hybrid.apply(tx);
    assert.equal(processes, 0, 'no ipset process for add/del');
    const expected = new Set(tx.operations.flatMap((op) => (op.op === 'add' ? [`${op.set} ${op.member}`] : [])));
    const listed = new Set([...saved()].flatMap(([set, list]) => list.map((m) => `${set} ${m}`)));
    assert.deepEqual(listed, expected, 'the kernel holds exactly what was added, byte for byte as ipset save prints it');
    const fake = new FakeIpset();
    await createAll(fake);
    await fake.apply(tx);
    assert.deepEqual(await hybrid.list(), await fake.list(), 'the fake lists what the kernel lists');
    // -exist (the default): the same adds again are a no-op.
    await hybrid.apply(tx);
    assert.deepEqual(await hybrid.list(), await fake.list());

    const del = new IpsetTransaction();
    for (const op of tx.operations) if (op.op === 'add' && op.member.includes('1')) del.del(specs.find((s) => s.name === op.set) ?? op.set, op.member);
    assert.ok(del.size > 5 && del.size < tx.size);
    processes = 0;
    await hybrid.apply(del);
    assert.equal(processes, 0);
    await fake.apply(del);
    assert.deepEqual(await hybrid.list(), await fake.list(), 'deletes of every type');
  });

  it('EEXIST / ENOENT without -exist, ignored with it; every other operation is still applied', async () => {
    destroySets();
    await createAll(restore);
    await hybrid.apply(new IpsetTransaction().add(S.ipvsIps, '10.96.0.1'));
    const strict = new IpsetTransaction({ exist: false })
      .add(S.ipvsIps, '10.96.0.2').add(S.ipvsIps, '10.96.0.1').add(S.ipvsIps, '10.96.0.3')
      .del(S.clusterIp, '10.96.0.9,tcp:80');
    const err = await failure(hybrid, strict);
    assert.ok(err instanceof IpsetNetlinkError);
    assert.deepEqual([err.errno, err.code, err.failedIndex, err.object], [Errno.EEXIST, 'EEXIST', 1, 'set KUBE-IPVS-IPS member 10.96.0.1']);
    assert.deepEqual(err.failures.map((f) => [f.index, f.error.errno, f.error.object]), [
      [1, Errno.EEXIST, 'set KUBE-IPVS-IPS member 10.96.0.1'],
      [3, Errno.ENOENT, 'set KUBE-CLUSTER-IP member 10.96.0.9,tcp:80'],
    ]);
    assert.deepEqual(saved().get(S.ipvsIps.name), ['10.96.0.1', '10.96.0.2', '10.96.0.3'], 'unlike ipset restore, the add after the failure is applied');
    // The same transaction with -exist succeeds and changes nothing.
    const lenient = new IpsetTransaction().add(S.ipvsIps, '10.96.0.2').add(S.ipvsIps, '10.96.0.1').del(S.clusterIp, '10.96.0.9,tcp:80');
    await hybrid.apply(lenient);
    assert.deepEqual(saved().get(S.ipvsIps.name), ['10.96.0.1', '10.96.0.2', '10.96.0.3']);
  });

  it('the failing operation gets the errno ipset restore reports for it (missing set, wrong family, range, full)', async () => {
    const cases: [string, () => IpsetTransaction, number][] = [
      ['missing set', () => new IpsetTransaction().add({ name: 'KUBE-TEST-GONE', type: 'hash:ip', family: 4 }, '10.1.1.1'), Errno.ENOENT],
      ['IPv6 member of the IPv4 set', () => new IpsetTransaction().add({ ...S.ipvsIps, family: 6 }, 'fd00::1'), Errno.EINVAL],
      ['member of another type', () => new IpsetTransaction().add({ ...S.ipvsIps, type: 'hash:ip,port' }, '10.1.1.1,tcp:1'), Errno.EINVAL],
      ['port outside the bitmap range', () => new IpsetTransaction().add({ name: 'KUBE-TEST-RANGE', type: 'bitmap:port', family: 4 }, '80'), Errno.ERANGE],
      ['hash full', () => new IpsetTransaction().add({ name: 'KUBE-TEST-FULL', type: 'hash:ip', family: 4 }, '10.2.2.2'), Errno.ENOSPC],
    ];
    // One setup for every case: a refused operation changes nothing, which each case checks.
    destroySets();
    await createAll(restore);
    await restore.apply(new IpsetTransaction()
      .create({ name: 'KUBE-TEST-RANGE', type: 'bitmap:port', family: 4, range: { from: 30000, to: 32767 } })
      .create({ name: 'KUBE-TEST-FULL', type: 'hash:ip', family: 4, maxelem: 1 }).add({ name: 'KUBE-TEST-FULL', type: 'hash:ip', family: 4 }, '10.2.2.1'));
    const before = saved();
    for (const [what, build, errno] of cases) {
      for (const ipset of [hybrid, restore]) {
        const err = await failure(ipset, build());
        assert.ok(ipset === hybrid ? err instanceof IpsetNetlinkError : err instanceof IpsetRestoreError, `${what}: ${String(err)}`);
        assert.equal((err as KernelError).errno, errno, `${what} via ${ipset === hybrid ? 'netlink' : 'restore'}`);
        assert.deepEqual(saved(), before, `${what}: nothing changed`);
      }
    }
  });

  it('the hybrid: creates, flushes, swaps and destroys through one ipset restore; members after leading creates over netlink', async () => {
    destroySets();
    processes = 0;
    await hybrid.apply(new IpsetTransaction().create(S.ipvsIps).add(S.ipvsIps, '10.96.0.1').add(S.ipvsIps, '10.96.0.2'));
    assert.equal(processes, 1, 'one restore for the create, the members over netlink');
    assert.deepEqual(saved().get(S.ipvsIps.name), ['10.96.0.1', '10.96.0.2']);
    await hybrid.apply(new IpsetTransaction().replaceMembers(S.ipvsIps, ['10.96.0.7', '10.96.0.8']));
    assert.equal(processes, 2);
    await hybrid.apply(new IpsetTransaction().add(S.ipvsIps, '10.96.0.9').del(S.ipvsIps, '10.96.0.7'));
    assert.equal(processes, 2, 'add/del only: netlink');
    assert.deepEqual(saved().get(S.ipvsIps.name), ['10.96.0.8', '10.96.0.9']);
    await hybrid.apply(new IpsetTransaction().destroy(S.ipvsIps));
    assert.equal(processes, 3);
    assert.equal(saved().has(S.ipvsIps.name), false);
  });

  // Correctness at a size where batching matters; the speed of one member change is the
  // benchmark's (npm run bench: one endpoint change p50/p99), not a timed test's.
  it('10k members in one netlink batch with no process, then single add + del rounds through both backends', async () => {
    destroySets();
    const pod = (i: number): string => `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const entry = (i: number): string => `${pod(i)},tcp:8080,${pod(i)}`;
    await restore.apply(new IpsetTransaction().create(S.loopBack));
    const bulk = new IpsetTransaction();
    for (let i = 0; i < 10_000; i++) bulk.add(S.loopBack, entry(i));
    processes = 0;
    await hybrid.apply(bulk);
    assert.equal(processes, 0);
    assert.equal((await restore.listMembers(S.loopBack.name)).length, 10_000);
    const rounds = 5;
    processes = 0;
    for (const [ipset, addFrom, delFrom] of [[hybrid, 30_000, 0], [restore, 40_000, 100]] as const) {
      for (let r = 0; r < rounds; r++) await ipset.apply(new IpsetTransaction().add(S.loopBack, entry(addFrom + r)).del(S.loopBack, entry(delFrom + r)));
    }
    assert.equal(processes, rounds, 'the hybrid rounds ran no process; each restore round one');
    const left = new Set(await restore.listMembers(S.loopBack.name));
    assert.equal(left.size, 10_000, 'every round added one member and deleted another');
    assert.ok(left.has(entry(30_000)) && left.has(entry(40_000 + rounds - 1)) && !left.has(entry(0)) && !left.has(entry(100 + rounds - 1)));
  });
});
