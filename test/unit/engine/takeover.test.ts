// Taking over a node from upstream kube-proxy (fake kernel): the first full sync removes upstream's
// leftovers in one pass with no EBUSY (its NodePort virtual servers on the node IPs included, found
// through its NodePort sets before their members are deleted: the sets and IPVS-mode chains are
// ours now, kept and rewritten), leaves kubelet's, kube-router's, Calico's and foreign virtual
// servers exactly as they were, and the syncs after it are partial.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier } from '../../../src/engine/proxier.ts';
import { Errno, hasErrno } from '../../../src/errors.ts';
import { IpsetTransaction } from '../../../src/kernel/ipset/transaction.ts';
import type { FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { describeVirtualServer } from '../../../src/kernel/ipvs/types.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import { familyConfig, service, slice } from '../../helpers/objects.ts';
import { FOREIGN, NODE_IP, fakeSave, foreignState, nodeIpVirtualServers, upstreamFakeKernel } from '../../helpers/node-fixtures.ts';

const logger = pino({ level: 'silent' });

/** Fed like the sync loop feeds it: the node's addresses (eth0's node IPs) before the first sync. */
async function dualStackProxier(kernel: FakeKernel): Promise<Proxier> {
  const proxier = new Proxier({ kernel, families: [familyConfig(), familyConfig({ family: 6, clusterCIDR: 'fd00:244::/64' })], logger });
  proxier.onServiceUpdate(undefined, service({ name: 'web', clusterIP: '10.96.0.10' }));
  proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11'] }));
  proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
  return proxier;
}

const keyText = describeVirtualServer;

async function virtualServers(kernel: FakeKernel): Promise<string[]> {
  return (await kernel.ipvs.listServices()).map((s) => keyText(s.key)).sort();
}

const foreignNodeIpServers = [4, 6].flatMap((family) => nodeIpVirtualServers(family as 4 | 6).foreign).map(keyText);

describe('taking over a node from upstream kube-proxy (fake kernel)', () => {
  it('the first sync removes every upstream leftover in one pass, without EBUSY, and touches nothing foreign', async () => {
    const kernel = await upstreamFakeKernel();
    const before = await foreignState(kernel);
    const report = await (await dualStackProxier(kernel)).sync();
    assert.equal(report.full, true);
    assert.deepEqual(report.failures, []);
    const [v4] = report.plans.map(renderPlan);
    assert.match(v4 ?? '', /^iptables -t filter rewrite KUBE-NODE-PORT \(1 rules\)$/m);
    assert.match(v4 ?? '', /^iptables -t filter delete KUBE-NODEPORTS$/m);
    assert.match(v4 ?? '', /^ipset del KUBE-NODE-PORT-TCP 30080$/m);
    assert.match(v4 ?? '', /^ipset del KUBE-HEALTH-CHECK-NODE-PORT 32000$/m);
    assert.doesNotMatch(v4 ?? '', /^ipset destroy /m);
    assert.match(v4 ?? '', /^ipvs delete service TCP 10\.96\.100\.1:80$/m);
    assert.deepEqual(await foreignState(kernel), before);
    const ours = (await kernel.ipset.list()).filter((set) => !(FOREIGN.sets as readonly string[]).includes(set.name));
    assert.equal(ours.length, 2 * 17, 'every set of upstream IPVS mode, both families');
    assert.deepEqual(ours.filter((set) => set.members.length > 0).map((set) => `${set.name} ${set.members.join(' ')}`).sort(), [
      'KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
      'KUBE-IPVS-IPS 10.96.0.10',
      'KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11',
    ]);
    for (const family of [4, 6] as const) {
      assert.doesNotMatch(await fakeSave(kernel, family), /KUBE-(EXTERNAL-SERVICES|NODEPORTS|PROXY-CANARY|SVC-|SEP-|EXT-)|30080|32000/);
    }
    assert.deepEqual(await virtualServers(kernel), ['TCP 10.96.0.10:80', 'TCP 192.0.2.50:80', ...foreignNodeIpServers].sort());
  });

  it('the first sync deletes upstream\'s NodePort virtual servers on the node IPs (both families), read from the sets before their members go', async () => {
    const kernel = await upstreamFakeKernel();
    const proxier = await dualStackProxier(kernel);
    const first = await proxier.sync();
    assert.deepEqual(first.failures, []);
    for (const [i, family] of ([4, 6] as const).entries()) {
      const text = renderPlan(first.plans[i]!);
      const deleted = text.split('\n').filter((l) => l.startsWith('ipvs delete service ') && l.includes(NODE_IP[family]));
      assert.deepEqual(deleted.sort(), nodeIpVirtualServers(family).upstream.map((k) => `ipvs delete service ${keyText(k)}`).sort(), `IPv${family}`);
      const set = family === 4 ? 'KUBE-NODE-PORT-TCP' : 'KUBE-6-NODE-PORT-TCP';
      assert.match(text, new RegExp(`^ipset del ${set} 30080$`, 'm'));
    }
    const left = await virtualServers(kernel);
    for (const family of [4, 6] as const) {
      for (const key of nodeIpVirtualServers(family).upstream) assert.ok(!left.includes(keyText(key)), keyText(key));
      for (const key of nodeIpVirtualServers(family).foreign) assert.ok(left.includes(keyText(key)), keyText(key));
    }
    // The members are gone now: nothing vouches for a node-IP server, so the foreign ones stay for good.
    const periodic = await proxier.sync({ full: true });
    assert.deepEqual(periodic.failures, []);
    assert.equal(periodic.writes, 0);
    assert.deepEqual(await virtualServers(kernel), left);
  });

  it('without node IPs (the node state not read yet) a node-IP virtual server is nobody\'s', async () => {
    const kernel = await upstreamFakeKernel();
    const proxier = new Proxier({ kernel, families: [familyConfig()], logger });
    assert.deepEqual((await proxier.sync()).failures, []);
    assert.ok((await virtualServers(kernel)).includes('TCP 192.168.1.20:30080'));
  });

  it('--ipvs-exclude-cidrs keeps upstream\'s NodePort virtual servers in range', async () => {
    const kernel = await upstreamFakeKernel();
    const proxier = new Proxier({ kernel, families: [familyConfig({ excludeCIDRs: ['192.168.1.0/24'] })], logger });
    proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
    assert.deepEqual((await proxier.sync()).failures, []);
    const left = await virtualServers(kernel);
    for (const key of nodeIpVirtualServers(4).upstream) assert.ok(left.includes(keyText(key)), keyText(key));
  });

  it('the sync after the takeover is partial and writes nothing; later full syncs find nothing to adopt', async () => {
    const kernel = await upstreamFakeKernel();
    const proxier = await dualStackProxier(kernel);
    await proxier.sync();
    const next = await proxier.sync();
    assert.equal(next.full, false);
    assert.equal(next.writes, 0);
    proxier.onEndpointSliceUpdate(slice({ service: 'web', endpoints: ['10.244.0.11'] }), slice({ service: 'web', endpoints: ['10.244.0.11', '10.244.0.12'] }));
    const change = await proxier.sync();
    assert.equal(change.full, false);
    assert.deepEqual(change.failures, []);
    assert.ok(change.writes > 0);
    const periodic = await proxier.sync({ full: true });
    assert.deepEqual(periodic.failures, []);
    assert.equal(periodic.writes, 0);
  });

  it('an upstream set a foreign rule still matches is kept, not destroyed: no EBUSY, and the next sync is partial', async () => {
    const kernel = await upstreamFakeKernel();
    kernel.iptables.applyRestoreText(4, '*filter\n-A FORWARD -m set --match-set KUBE-NODE-PORT-TCP dst -j ACCEPT\nCOMMIT\n');
    const proxier = await dualStackProxier(kernel);
    const first = await proxier.sync();
    assert.deepEqual(first.failures, []);
    assert.doesNotMatch(renderPlan(first.plans[0]!), /ipset destroy KUBE-NODE-PORT-TCP$/m);
    assert.ok((await kernel.ipset.listNames()).includes('KUBE-NODE-PORT-TCP'));
    assert.equal((await proxier.sync()).full, false);
  });

  it('the fake kernel refuses what the kernel refuses: destroying a set upstream\'s chains still match is EBUSY', async () => {
    const kernel = await upstreamFakeKernel();
    await assert.rejects(kernel.ipset.apply(new IpsetTransaction().destroy('KUBE-NODE-PORT-TCP')), (e: unknown) => hasErrno(e, Errno.EBUSY));
  });
});
