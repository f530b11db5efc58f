import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Errno, KernelError, ValidationError, hasErrno } from '../../../../src/errors.ts';
import { FakeLinks } from '../../../../src/kernel/link/fake.ts';
import type { InterfaceAddress } from '../../../../src/kernel/link/types.ts';

const v4 = (address: string, prefixLength = 32): InterfaceAddress => ({ family: 4, address, prefixLength });
const v6 = (address: string, prefixLength = 128): InterfaceAddress => ({ family: 6, address, prefixLength });

describe('FakeLinks', () => {
  it('creates a DOWN dummy once and returns the same link afterwards', async () => {
    const links = new FakeLinks();
    const created = await links.ensureDummy('kube-ipvs0');
    assert.deepEqual(created, { index: 2, name: 'kube-ipvs0', kind: 'dummy', up: false });
    assert.deepEqual(await links.ensureDummy('kube-ipvs0'), created);
    assert.deepEqual(await links.getLink('kube-ipvs0'), created);
    assert.equal(await links.getLink('eth9'), undefined);
  });

  it('refuses to adopt a link of another kind with EEXIST', async () => {
    const links = new FakeLinks([{ name: 'kube-ipvs0', kind: 'veth' }]);
    await assert.rejects(links.ensureDummy('kube-ipvs0'), (e) => hasErrno(e, Errno.EEXIST));
  });

  it('deletes links with ENODEV for missing ones and EOPNOTSUPP for lo', async () => {
    const links = new FakeLinks();
    await links.ensureDummy('kube-ipvs0');
    await links.deleteLink('kube-ipvs0');
    assert.equal(await links.getLink('kube-ipvs0'), undefined);
    await assert.rejects(links.deleteLink('kube-ipvs0'), (e) => hasErrno(e, Errno.ENODEV));
    await assert.rejects(links.deleteLink('lo'), (e) => hasErrno(e, Errno.EOPNOTSUPP));
  });

  it('applies a batch per address: EEXIST and EADDRNOTAVAIL fail alone, the rest applies', async () => {
    const links = new FakeLinks();
    await links.ensureDummy('kube-ipvs0');
    assert.deepEqual(await links.changeAddresses('kube-ipvs0', { add: [v4('10.96.0.1'), v6('fd00::1')], delete: [] }), []);
    const failures = await links.changeAddresses('kube-ipvs0', {
      add: [v4('10.96.0.1'), v4('10.96.0.2'), v6('fd00::1', 64), v6('fd00::2')],
      delete: [v4('10.96.0.9'), v6('fd00::1', 64)],
    });
    assert.deepEqual(failures.map((f) => [f.change, f.address.address, f.address.prefixLength, (f.error as KernelError).errno]), [
      ['delete', '10.96.0.9', 32, Errno.EADDRNOTAVAIL],
      ['delete', 'fd00::1', 64, Errno.EADDRNOTAVAIL],
      ['add', '10.96.0.1', 32, Errno.EEXIST],
      ['add', 'fd00::1', 64, Errno.EEXIST],
    ]);
    assert.deepEqual(await links.listAddresses('kube-ipvs0'), [v4('10.96.0.1'), v6('fd00::1'), v4('10.96.0.2'), v6('fd00::2')]);
    assert.equal(links.batches, 2);
  });

  it('lets IPv4 keep one address under two prefixes (the kernel matches local + mask)', async () => {
    const links = new FakeLinks();
    await links.ensureDummy('d0');
    assert.deepEqual(await links.changeAddresses('d0', { add: [v4('10.0.0.1', 32), v4('10.0.0.1', 24)], delete: [] }), []);
    assert.deepEqual(await links.changeAddresses('d0', { add: [], delete: [v4('10.0.0.1', 24)] }), []);
    assert.deepEqual(await links.listAddresses('d0'), [v4('10.0.0.1', 32)]);
  });

  it('reports invalid addresses as ValidationError failures and canonicalises IPv6', async () => {
    const links = new FakeLinks();
    await links.ensureDummy('kube-ipvs0');
    const failures = await links.changeAddresses('kube-ipvs0', {
      add: [v4('10.96.0.256'), v4('10.96.0.1', 33), { family: 4, address: 'fd00::1', prefixLength: 32 }, v6('FD00:0:0::0A')],
      delete: [],
    });
    assert.equal(failures.length, 3);
    assert.ok(failures.every((f) => f.error instanceof ValidationError));
    assert.deepEqual(await links.listAddresses('kube-ipvs0'), [v6('fd00::a')]);
  });

  it('rejects whole calls on a missing link with ENODEV', async () => {
    const links = new FakeLinks();
    await assert.rejects(links.listAddresses('kube-ipvs0'), (e) => hasErrno(e, Errno.ENODEV));
    await assert.rejects(links.changeAddresses('kube-ipvs0', { add: [v4('10.96.0.1')], delete: [] }), (e: unknown) => {
      assert.ok(e instanceof KernelError);
      assert.equal(e.errno, Errno.ENODEV);
      assert.equal(e.object, 'kube-ipvs0');
      return true;
    });
    await assert.rejects(links.getLink('bad/name'), ValidationError);
  });

  it('lists every local address with link, index and scope', async () => {
    const links = new FakeLinks([
      // IPv4 keeps the scope it was added with (iproute2 asks for host scope on 127/8); IPv6 derives it.
      { name: 'lo', up: true, addresses: [{ ...v4('127.0.0.1', 8), scope: 254 }, v6('::1')] },
      { name: 'eth0', up: true, addresses: [v4('192.168.1.10', 24), v6('fe80::1', 64), v6('2001:db8::10', 64)] },
    ]);
    await links.ensureDummy('kube-ipvs0');
    await links.changeAddresses('kube-ipvs0', { add: [v4('10.96.0.1')], delete: [] });
    const local = await links.listLocalAddresses();
    assert.deepEqual(local.map((a) => `${a.linkIndex}:${a.linkName} ${a.address}/${a.prefixLength} scope ${a.scope}`), [
      '1:lo 127.0.0.1/8 scope 254', '1:lo ::1/128 scope 254',
      '2:eth0 192.168.1.10/24 scope 0', '2:eth0 fe80::1/64 scope 253', '2:eth0 2001:db8::10/64 scope 0',
      '3:kube-ipvs0 10.96.0.1/32 scope 0',
    ]);
  });

  it('refuses calls after close', async () => {
    const links = new FakeLinks();
    await links.close();
    await assert.rejects(links.getLink('lo'), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'ERR_NETLINK_CLOSED');
  });
});
