import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, KernelError, hasErrno } from '../../../../src/errors.ts';
import { IpsetRestoreError } from '../../../../src/kernel/ipset/errors.ts';
import { FakeIpset } from '../../../../src/kernel/ipset/fake.ts';
import { IpsetTransaction } from '../../../../src/kernel/ipset/transaction.ts';
import type { SetSpec } from '../../../../src/kernel/ipset/types.ts';

const A: SetSpec = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4 };
const B: SetSpec = { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', family: 4 };
const NP: SetSpec = { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 4, range: { from: 30000, to: 32767 } };

const strict = (): IpsetTransaction => new IpsetTransaction({ exist: false });

async function rejects(ipset: FakeIpset, tx: IpsetTransaction, line: number, errno: number): Promise<IpsetRestoreError> {
  let caught: unknown;
  await ipset.apply(tx).catch((err: unknown) => { caught = err; });
  assert.ok(caught instanceof IpsetRestoreError, `expected IpsetRestoreError, got ${String(caught)}`);
  assert.equal(caught.line, line);
  assert.equal(caught.errno, errno);
  assert.ok(hasErrno(caught, errno));
  return caught;
}

describe('FakeIpset', () => {
  let ipset: FakeIpset;
  beforeEach(async () => {
    ipset = new FakeIpset();
    await ipset.apply(new IpsetTransaction().create(A).add(A, '10.0.0.1,tcp:80'));
  });

  it('lists what was applied, one restore per apply', async () => {
    await ipset.apply(new IpsetTransaction().create(NP).add(NP, '30080').add(A, '10.0.0.2,udp:53'));
    assert.equal(ipset.restores.length, 2);
    assert.deepEqual(await ipset.list(), [
      { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4, hashsize: 1024, maxelem: 65536, range: undefined, comment: false, members: ['10.0.0.1,tcp:80', '10.0.0.2,udp:53'] },
      { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: undefined, hashsize: undefined, maxelem: undefined, range: { from: 30000, to: 32767 }, comment: false, members: ['30080'] },
    ]);
    assert.deepEqual(await ipset.listNames(), ['KUBE-CLUSTER-IP', 'KUBE-NODE-PORT-TCP']);
  });

  it('an empty transaction runs nothing', async () => {
    await ipset.apply(new IpsetTransaction());
    assert.equal(ipset.restores.length, 1);
  });

  it('create of an existing set: EEXIST without -exist; with -exist only when compatible', async () => {
    await rejects(ipset, strict().create(A), 1, Errno.EEXIST);
    await ipset.apply(new IpsetTransaction().create({ ...A, hashsize: 4096 }));
    await rejects(ipset, new IpsetTransaction().create({ ...A, maxelem: 10 }), 1, Errno.EEXIST);
    await rejects(ipset, new IpsetTransaction().create({ ...A, type: 'hash:ip' }), 1, Errno.EEXIST);
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.1,tcp:80'], 'create -exist keeps the members');
  });

  it('kernel quirk: create -exist with the other family succeeds and keeps the old set', async () => {
    await ipset.apply(new IpsetTransaction().create({ ...A, family: 6 }));
    const [state] = await ipset.list();
    assert.equal(state?.family, 4);
    // A member valid for the spec but not for the real set is refused by the tool.
    await rejects(ipset, new IpsetTransaction().add({ ...A, family: 6 }, 'fd00::1,tcp:80'), 1, Errno.EINVAL);
    // hash:ip compares its netmask (32 vs 128): there the family change is EEXIST.
    const ips: SetSpec = { name: 'KUBE-IPVS-IPS', type: 'hash:ip', family: 4 };
    await ipset.apply(new IpsetTransaction().create(ips));
    await rejects(ipset, new IpsetTransaction().create({ ...ips, family: 6 }), 1, Errno.EEXIST);
  });

  it('add of a present member: EEXIST without -exist, no-op with it; del of an absent one: ENOENT', async () => {
    await rejects(ipset, strict().add(A, '10.0.0.1,tcp:80'), 1, Errno.EEXIST);
    await ipset.apply(new IpsetTransaction().add(A, '10.0.0.1,tcp:80').del(A, '10.0.0.9,tcp:80'));
    await rejects(ipset, strict().del(A, '10.0.0.9,tcp:80'), 1, Errno.ENOENT);
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.1,tcp:80']);
  });

  it('kernel error at line N: lines before N stay applied, N and after do not', async () => {
    const tx = strict().add(A, '10.0.0.2,tcp:80').add(A, '10.0.0.3,tcp:80').add(A, '10.0.0.1,tcp:80').add(A, '10.0.0.4,tcp:80').create(B);
    const err = await rejects(ipset, tx, 3, Errno.EEXIST);
    assert.equal(err.appliedCount, 2);
    assert.equal(err.object, 'set KUBE-CLUSTER-IP member 10.0.0.1,tcp:80');
    assert.deepEqual(err.failed, { op: 'add', set: A.name, member: '10.0.0.1,tcp:80', exist: false });
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.1,tcp:80', '10.0.0.2,tcp:80', '10.0.0.3,tcp:80']);
    assert.deepEqual(await ipset.listNames(), [A.name]);
  });

  it('tool error at line N (set missing): the add run buffered before N is discarded too', async () => {
    const tx = new IpsetTransaction().create(NP).add(A, '10.0.0.2,tcp:80').add(A, '10.0.0.3,tcp:80').add(B, '10.0.0.4,tcp:80');
    const err = await rejects(ipset, tx, 4, Errno.ENOENT);
    assert.equal(err.appliedCount, 1);
    assert.deepEqual(await ipset.listNames(), [A.name, NP.name]);
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.1,tcp:80']);
  });

  it('bitmap:port refuses ports outside its range (ERANGE) and hash sets refuse entries when full (ENOSPC)', async () => {
    const small: SetSpec = { name: 'SMALL', type: 'hash:ip', family: 4, maxelem: 2 };
    await ipset.apply(new IpsetTransaction().create(NP).create(small));
    await rejects(ipset, new IpsetTransaction().add({ ...NP, range: undefined }, '80'), 1, Errno.ERANGE);
    await rejects(ipset, new IpsetTransaction().add(small, '10.0.0.1').add(small, '10.0.0.2').add(small, '10.0.0.3').add(small, '10.0.0.2'), 3, Errno.ENOSPC);
  });

  it('swap needs two existing sets of the same type and family; references stay with the name', async () => {
    await rejects(ipset, new IpsetTransaction().swap(A, B), 1, Errno.ENOENT);
    await ipset.apply(new IpsetTransaction().create({ name: 'V6', type: 'hash:ip,port', family: 6 }).create(NP));
    await rejects(ipset, new IpsetTransaction().swap(A, 'V6'), 1, Errno.EINVAL);
    await rejects(ipset, new IpsetTransaction().swap(A, NP), 1, Errno.EINVAL);
    ipset.setReferenced(A.name, true);
    await ipset.apply(new IpsetTransaction().create(B).add(B, '10.0.0.9,tcp:80').swap(B, A));
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.9,tcp:80']);
    assert.deepEqual(await ipset.listMembers(B.name), ['10.0.0.1,tcp:80']);
    await ipset.apply(new IpsetTransaction().destroy(B));
    await rejects(ipset, new IpsetTransaction().destroy(A), 1, Errno.EBUSY);
  });

  it('destroy of a referenced set fails with EBUSY after the earlier lines applied; missing set: ENOENT unless -exist', async () => {
    ipset.setReferenced(A.name, true);
    const err = await rejects(ipset, new IpsetTransaction().flush(A).add(A, '10.0.0.7,tcp:80').destroy(A), 3, Errno.EBUSY);
    assert.equal(err.code, 'EBUSY');
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.7,tcp:80']);
    ipset.setReferenced(A.name, false);
    await ipset.apply(strict().destroy(A));
    await ipset.apply(new IpsetTransaction().destroy(A));
    await rejects(ipset, strict().destroy(A), 1, Errno.ENOENT);
    await rejects(ipset, new IpsetTransaction().flush(A), 1, Errno.ENOENT);
  });

  it('setReferenced refuses a missing set; listMembers of a missing set is ENOENT', async () => {
    assert.throws(() => ipset.setReferenced('NOPE', true), (e) => e instanceof KernelError && e.errno === Errno.ENOENT);
    await assert.rejects(ipset.listMembers('NOPE'), (e) => e instanceof KernelError && e.errno === Errno.ENOENT);
  });

  it('replaceMembers swaps in the new members and leaves no temporary set, also after a crash left one', async () => {
    await ipset.apply(new IpsetTransaction().create({ ...A, name: 'KUBE-CLUSTER-IP-TMP' }).add('KUBE-CLUSTER-IP-TMP', '10.9.9.9,tcp:1'));
    ipset.setReferenced(A.name, true);
    await ipset.apply(new IpsetTransaction().replaceMembers(A, ['10.0.0.5,tcp:80', '10.0.0.6,udp:53']));
    assert.deepEqual(await ipset.listNames(), [A.name]);
    assert.deepEqual(await ipset.listMembers(A.name), ['10.0.0.5,tcp:80', '10.0.0.6,udp:53']);
  });

  it('validation errors reject before anything runs', async () => {
    await assert.rejects(ipset.apply(new IpsetTransaction().add(A, 'bad')), { name: 'ValidationError' });
    assert.equal(ipset.restores.length, 1);
  });
});
