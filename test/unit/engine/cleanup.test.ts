// --cleanup on the fake kernel: everything ours and every upstream leftover goes in one pass, in
// every IP family the node has, whatever the flags (upstream's NodePort virtual servers on the node
// IPs included); foreign objects, foreign virtual servers on node IPs too, stay byte-identical.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { cleanup } from '../../../src/engine/cleanup.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { FakeSysctl } from '../../../src/kernel/sysctl/fake.ts';
import { describeVirtualServer } from '../../../src/kernel/ipvs/types.ts';
import { Errno, KernelError } from '../../../src/errors.ts';
import { InUseError } from '../../../src/ownership/errors.ts';
import { familyConfig, service } from '../../helpers/objects.ts';
import { FOREIGN, fakeSave, foreignState, loadIntoFake, nodeIpVirtualServers, upstreamFakeKernel, upstreamNode } from '../../helpers/node-fixtures.ts';

const isForeignSet = (name: string): boolean => (FOREIGN.sets as readonly string[]).includes(name);

async function assertOnlyForeignLeft(kernel: FakeKernel): Promise<void> {
  assert.deepEqual((await kernel.ipset.listNames()).filter((n) => !isForeignSet(n)), []);
  for (const family of [4, 6] as const) {
    const chains = (await fakeSave(kernel, family)).split('\n').filter((l) => l.startsWith(':KUBE-')).map((l) => l.slice(1).split(' ')[0] ?? '');
    assert.deepEqual(chains.filter((c) => !(FOREIGN.chains as readonly string[]).includes(c)), [], `IPv${family}`);
  }
  assert.deepEqual(await virtualServers(kernel), ['TCP 192.0.2.50:80', ...FOREIGN_NODE_IP_SERVERS].sort());
  assert.equal(await kernel.links.getLink('kube-ipvs0'), undefined);
}

const FOREIGN_NODE_IP_SERVERS = ([4, 6] as const).flatMap((family) => nodeIpVirtualServers(family).foreign).map(describeVirtualServer);

async function virtualServers(kernel: FakeKernel): Promise<string[]> {
  return (await kernel.ipvs.listServices()).map((s) => describeVirtualServer(s.key)).sort();
}

describe('cleanup (fake kernel)', () => {
  it('on an upstream kube-proxy node: every leftover of both families in one pass, no error, foreign state identical', async () => {
    const kernel = await upstreamFakeKernel();
    const before = await foreignState(kernel);
    const report = await cleanup(kernel);
    assert.deepEqual(report.errors, []);
    assert.equal(report.virtualServers, 2 + 8, 'kube-ipvs0\'s two, and upstream\'s NodePort servers on the node IPs: 4 per family');
    assert.equal(report.sets, 34);
    assert.equal(report.linkDeleted, true);
    assert.deepEqual(await foreignState(kernel), before);
    await assertOnlyForeignLeft(kernel);
  });

  it('after we took the node over: ours go the same way; a second cleanup has nothing to do', async () => {
    const kernel = await upstreamFakeKernel();
    const before = await foreignState(kernel);
    const proxier = new Proxier({ kernel, families: [familyConfig()], logger: pino({ level: 'silent' }) });
    proxier.onServiceUpdate(undefined, service({ name: 'web', clusterIP: '10.96.0.10' }));
    proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
    assert.deepEqual((await proxier.sync()).failures, []);
    // IPv4 only was served, yet the IPv6 leftovers (ip6tables, KUBE-6- sets, and the NodePort
    // virtual servers those sets vouch for) go too.
    assert.deepEqual((await cleanup(kernel)).errors, []);
    assert.deepEqual(await foreignState(kernel), before);
    await assertOnlyForeignLeft(kernel);
    const again = await cleanup(kernel);
    assert.deepEqual(again, { virtualServers: 0, chains: 0, sets: 0, linkDeleted: false, errors: [] });
  });

  it('node IPs or sets unreadable: reported, no node-IP virtual server claimed, everything else removed', async () => {
    const kernel = await upstreamFakeKernel();
    kernel.links.listLocalAddresses = () => Promise.reject(new KernelError(Errno.EPERM, { operation: 'link.listLocalAddresses' }));
    const report = await cleanup(kernel);
    assert.deepEqual(report.errors.map((e) => [e.code, e.operation]), [['EPERM', 'link.listLocalAddresses']]);
    assert.equal(report.virtualServers, 2);
    const left = await virtualServers(kernel);
    for (const family of [4, 6] as const) for (const key of nodeIpVirtualServers(family).upstream) assert.ok(left.includes(describeVirtualServer(key)));
    assert.deepEqual((await kernel.ipset.listNames()).filter((n) => !isForeignSet(n)), []);
  });

  it('keeps, and reports, what a foreign rule still uses; removes everything else', async () => {
    const kernel = await upstreamFakeKernel();
    kernel.iptables.applyRestoreText(4, '*nat\n-A PREROUTING -i eth9 -j KUBE-SERVICES\nCOMMIT\n*filter\n-A FORWARD -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT\nCOMMIT\n');
    const report = await cleanup(kernel);
    assert.deepEqual(report.errors.map((e) => [e.code, e.object]), [
      ['ERR_OWNED_OBJECT_IN_USE', 'IPv4 chain nat/KUBE-SERVICES'],
      ['ERR_OWNED_OBJECT_IN_USE', 'set KUBE-CLUSTER-IP'],
    ]);
    assert.ok(report.errors.every((e) => e instanceof InUseError));
    assert.deepEqual((await kernel.ipset.listNames()).filter((n) => !isForeignSet(n)), ['KUBE-CLUSTER-IP']);
    const nat = (await kernel.iptables.save(4, 'nat')).tables.get('nat');
    assert.deepEqual(nat?.chains.get('KUBE-SERVICES')?.rules, [], 'flushed');
    assert.deepEqual(nat?.chains.get('PREROUTING')?.rules.at(-1), ['-i', 'eth9', '-j', 'KUBE-SERVICES']);
  });

  it('reads ip6tables only on a node with an IPv6 stack; its KUBE-6- sets still go', async () => {
    const kernel: FakeKernel = { ...createFakeKernel(), sysctl: new FakeSysctl({}) };
    const node = upstreamNode();
    await loadIntoFake(kernel, { ...node, iptables: { ...node.iptables, 6: '' } });
    const families: number[] = [];
    const save = kernel.iptables.save.bind(kernel.iptables);
    kernel.iptables.save = (family, table) => { families.push(family); return save(family, table); };
    assert.deepEqual((await cleanup(kernel)).errors, []);
    assert.deepEqual(families, [4]);
    assert.deepEqual((await kernel.ipset.listNames()).filter((n) => !isForeignSet(n)), []);
  });
});

describe('cleanup of our own NodePort, externalIP and load-balancer servers', () => {
  it('removes the node-IP servers our NodePort sets and externalIP sets name; a foreign server on the node IP stays', async () => {
    const kernel = createFakeKernel();
    await kernel.links.ensureDummy('eth0');
    await kernel.links.changeAddresses('eth0', { add: [{ family: 4, address: '192.168.1.20', prefixLength: 24 }], delete: [] });
    const proxier = new Proxier({ kernel, families: [familyConfig()], logger: pino({ level: 'silent' }) });
    proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
    proxier.onServiceUpdate(undefined, service({
      name: 'web', clusterIP: '10.96.0.10', type: 'LoadBalancer', externalIPs: ['192.168.1.20'],
      ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 's', port: 9, protocol: 'SCTP', nodePort: 30009 }], ingress: [{ ip: '198.51.100.1' }],
    }));
    assert.deepEqual((await proxier.sync()).failures, []);
    await kernel.ipvs.apply([{ op: 'addService', service: { key: { kind: 'address', family: 4, protocol: 'TCP', address: '192.168.1.20', port: 8443 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff } }]);
    assert.equal((await virtualServers(kernel)).length, 2 * 4 + 1, 'ClusterIP, node port, externalIP on the node IP, LB IP: per port');
    const report = await cleanup(kernel);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(await virtualServers(kernel), ['TCP 192.168.1.20:8443']);
    assert.deepEqual(await kernel.ipset.listNames(), []);
  });
});
