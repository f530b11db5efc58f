// Taking over a node from upstream kube-proxy (fake kernel): the first full sync removes upstream's
// leftovers in one pass with no EBUSY, leaves kubelet's, kube-router's and Calico's objects exactly
// as they were, and the syncs after it are partial.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier } from '../../../src/engine/proxier.ts';
import { Errno, hasErrno } from '../../../src/errors.ts';
import { IpsetTransaction } from '../../../src/kernel/ipset/transaction.ts';
import type { FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import { familyConfig, service, slice } from '../../helpers/objects.ts';
import { FOREIGN, fakeSave, foreignState, upstreamFakeKernel } from '../../helpers/node-fixtures.ts';

const logger = pino({ level: 'silent' });

function dualStackProxier(kernel: FakeKernel): Proxier {
  const proxier = new Proxier({ kernel, families: [familyConfig(), familyConfig({ family: 6, clusterCIDR: 'fd00:244::/64' })], logger });
  proxier.onServiceUpdate(undefined, service({ name: 'web', clusterIP: '10.96.0.10' }));
  proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11'] }));
  return proxier;
}

describe('taking over a node from upstream kube-proxy (fake kernel)', () => {
  it('the first sync removes every upstream leftover in one pass, without EBUSY, and touches nothing foreign', async () => {
    const kernel = await upstreamFakeKernel();
    const before = await foreignState(kernel);
    const report = await dualStackProxier(kernel).sync();
    assert.equal(report.full, true);
    assert.deepEqual(report.failures, []);
    const [v4] = report.plans.map(renderPlan);
    assert.match(v4 ?? '', /^iptables -t filter delete KUBE-NODE-PORT$/m);
    assert.match(v4 ?? '', /^ipset destroy KUBE-NODE-PORT-TCP$/m);
    assert.match(v4 ?? '', /^ipvs delete service TCP 10\.96\.100\.1:80$/m);
    assert.deepEqual(await foreignState(kernel), before);
    assert.deepEqual((await kernel.ipset.listNames()).filter((n) => !(FOREIGN.sets as readonly string[]).includes(n)).sort(), [
      'KUBE-6-CLUSTER-IP', 'KUBE-6-IPVS-IPS', 'KUBE-6-LOOP-BACK', 'KUBE-CLUSTER-IP', 'KUBE-IPVS-IPS', 'KUBE-LOOP-BACK',
    ]);
    for (const family of [4, 6] as const) {
      assert.doesNotMatch(await fakeSave(kernel, family), /KUBE-(NODE-PORT|LOAD-BALANCER|PROXY-FIREWALL|SOURCE-RANGES|IPVS-OUT|EXTERNAL-SERVICES|NODEPORTS|PROXY-CANARY|SVC-|SEP-|EXT-)/);
    }
    assert.deepEqual((await kernel.ipvs.listServices()).map((s) => s.key.kind === 'address' ? s.key.address : '').sort(), ['10.96.0.10', '192.0.2.50']);
  });

  it('the sync after the takeover is partial and writes nothing; later full syncs find nothing to adopt', async () => {
    const kernel = await upstreamFakeKernel();
    const proxier = dualStackProxier(kernel);
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
    const proxier = dualStackProxier(kernel);
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
