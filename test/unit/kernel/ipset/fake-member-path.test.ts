// FakeIpset's netlink member path behaves as NetlinkIpsetMembers does on the real kernel
// (test/sandbox/ipset-netlink.test.ts): each add/del on its own, refusals listed, the rest applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Errno } from '../../../../src/errors.ts';
import { FakeIpset } from '../../../../src/kernel/ipset/fake.ts';
import { HybridIpset } from '../../../../src/kernel/ipset/hybrid.ts';
import { IpsetNetlinkError } from '../../../../src/kernel/ipset/netlink-error.ts';
import { IpsetTransaction } from '../../../../src/kernel/ipset/transaction.ts';

const SET = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4 } as const;

test('a refused member does not stop the others, and every refusal is reported', async () => {
  const state = new FakeIpset();
  const ipset = new HybridIpset(state, state.memberPath());
  await ipset.apply(new IpsetTransaction().create(SET).add(SET, '10.96.0.1,tcp:80'));
  const tx = new IpsetTransaction({ exist: false })
    .add(SET, '10.96.0.1,tcp:80') // already there: EEXIST
    .add(SET, '10.96.0.2,tcp:80')
    .del(SET, '10.96.0.9,tcp:80') // not there: ENOENT
    .add(SET, '10.96.0.3,tcp:80');
  await assert.rejects(ipset.apply(tx), (error: unknown) => {
    assert.ok(error instanceof IpsetNetlinkError);
    assert.deepEqual(error.failures.map((f) => [f.index, f.error.errno]), [[0, Errno.EEXIST], [2, Errno.ENOENT]]);
    return true;
  });
  assert.deepEqual(await ipset.listMembers(SET.name), ['10.96.0.1,tcp:80', '10.96.0.2,tcp:80', '10.96.0.3,tcp:80']);
  assert.equal(state.restores.length, 1, 'only the create went through (fake) ipset restore');
});
