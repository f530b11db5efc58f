// The fakes wired together enforce what the kernel enforces across subsystems.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, hasErrno } from '../../../src/errors.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { IpsetTransaction } from '../../../src/kernel/ipset/transaction.ts';

describe('createFakeKernel', () => {
  it('a set an iptables rule of either family matches cannot be destroyed (EBUSY) until the rule is gone', async () => {
    const kernel = createFakeKernel();
    await kernel.ipset.apply(new IpsetTransaction().create({ name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 4 }));
    kernel.iptables.applyRestoreText(6, '*filter\n:X - [0:0]\n-A X -m set --match-set KUBE-NODE-PORT-TCP dst -j ACCEPT\nCOMMIT\n');
    const destroy = (): Promise<void> => kernel.ipset.apply(new IpsetTransaction().destroy('KUBE-NODE-PORT-TCP'));
    await assert.rejects(destroy(), (e: unknown) => hasErrno(e, Errno.EBUSY));
    kernel.iptables.applyRestoreText(6, '*filter\n:X - [0:0]\n-X X\nCOMMIT\n');
    await destroy();
    assert.deepEqual(await kernel.ipset.listNames(), []);
  });

  it('a chain a rule jumps to cannot be deleted: the table is refused whole', async () => {
    const kernel = createFakeKernel();
    kernel.iptables.applyRestoreText(4, '*nat\n:KUBE-NODE-PORT - [0:0]\n-A PREROUTING -i eth9 -j KUBE-NODE-PORT\nCOMMIT\n');
    assert.throws(() => kernel.iptables.applyRestoreText(4, '*nat\n:KUBE-NODE-PORT - [0:0]\n-X KUBE-NODE-PORT\nCOMMIT\n'));
    assert.ok((await kernel.iptables.save(4, 'nat')).tables.get('nat')?.chains.has('KUBE-NODE-PORT'));
  });
});
