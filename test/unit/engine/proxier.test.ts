// The engine against the fake kernel: full and partial syncs, incrementality, ownership, repair.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import { familyConfig, service, slice } from '../../helpers/objects.ts';
import { CREATE_SETS_V4, IPTABLES_FIRST_SYNC } from '../../helpers/static-plan.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';

const logger = pino({ level: 'silent' });

function setup(config: Partial<FamilyConfig> = {}, kernel: FakeKernel = createFakeKernel()) {
  const proxier = new Proxier({ kernel, families: [familyConfig(config)], logger });
  return { kernel, proxier };
}

const web = service({ name: 'web', clusterIP: '10.96.0.10' });
const webSlice = slice({ service: 'web', endpoints: ['10.244.0.11', '10.244.0.12'] });

describe('Proxier on the fake kernel', () => {
  it('programs a ClusterIP service from nothing, in a traffic-safe order (golden plan)', async () => {
    const { kernel, proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    const report = await proxier.sync();
    assert.equal(report.full, true);
    assert.deepEqual(report.failures, []);
    assert.equal(renderPlan(report.plans[0]!), [
      'link create kube-ipvs0 type dummy (left down)',
      'addr add 10.96.0.10/32 dev kube-ipvs0',
      ...CREATE_SETS_V4,
      'ipset add KUBE-CLUSTER-IP 10.96.0.10,tcp:80',
      'ipset add KUBE-IPVS-IPS 10.96.0.10',
      'ipset add KUBE-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11',
      'ipset add KUBE-LOOP-BACK 10.244.0.12,tcp:8080,10.244.0.12',
      ...IPTABLES_FIRST_SYNC,
      'ipvs add service TCP 10.96.0.10:80 scheduler rr flags 0x0',
      'ipvs add destination TCP 10.96.0.10:80 -> 10.244.0.11:8080 masq weight 1',
      'ipvs add destination TCP 10.96.0.10:80 -> 10.244.0.12:8080 masq weight 1',
      '',
    ].join('\n'));
    const dump = await kernel.ipvs.dump();
    assert.equal(dump.length, 1);
    assert.deepEqual(dump[0]!.destinations.map((d) => d.address).sort(), ['10.244.0.11', '10.244.0.12']);
    assert.deepEqual(await kernel.links.listAddresses('kube-ipvs0'), [{ family: 4, address: '10.96.0.10', prefixLength: 32 }]);
  });

  it('a sync with nothing changed writes nothing, partial or full', async () => {
    const { proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    await proxier.sync();
    const partial = await proxier.sync();
    assert.equal(partial.full, false);
    assert.equal(partial.writes, 0);
    const full = await proxier.sync({ full: true });
    assert.equal(full.full, true);
    assert.equal(full.writes, 0, renderPlan(full.plans[0]!));
  });

  it('one endpoint change among many services writes only that service\'s destinations', async () => {
    const { kernel, proxier } = setup({ nodeName: 'elsewhere' });
    for (let i = 0; i < 200; i++) {
      proxier.onServiceUpdate(undefined, service({ name: `svc-${i}`, clusterIP: `10.96.1.${i}` }));
      proxier.onEndpointSliceUpdate(undefined, slice({ service: `svc-${i}`, endpoints: [`10.244.1.${i}`, `10.244.2.${i}`] }));
    }
    await proxier.sync();
    const before = kernel.ipvs.writes;
    const previous = slice({ service: 'svc-7', endpoints: ['10.244.1.7', '10.244.2.7'] });
    proxier.onEndpointSliceUpdate(previous, slice({ service: 'svc-7', endpoints: ['10.244.1.7', '10.244.3.7'] }));
    const report = await proxier.sync();
    assert.equal(report.servicesChanged, 1);
    assert.equal(renderPlan(report.plans[0]!), [
      'ipvs add destination TCP 10.96.1.7:80 -> 10.244.3.7:8080 masq weight 1',
      'ipvs delete destination TCP 10.96.1.7:80 -> 10.244.2.7:8080',
      '',
    ].join('\n'));
    assert.equal(report.writes, 2);
    assert.equal(kernel.ipvs.writes - before, 2);
  });

  it('an edit reverted before the sync writes nothing', async () => {
    const { proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    await proxier.sync();
    const edited = service({ name: 'web', clusterIP: '10.96.0.10', affinity: 60 });
    proxier.onServiceUpdate(web, edited);
    proxier.onServiceUpdate(edited, web);
    const report = await proxier.sync();
    assert.equal(report.servicesChanged, 0);
    assert.equal(report.writes, 0);
  });

  it('session affinity updates the virtual server in place', async () => {
    const { proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    await proxier.sync();
    proxier.onServiceUpdate(web, service({ name: 'web', clusterIP: '10.96.0.10', affinity: 600 }));
    const report = await proxier.sync();
    assert.equal(renderPlan(report.plans[0]!), 'ipvs update service TCP 10.96.0.10:80 scheduler rr flags 0x1 timeout 600\n');
  });

  it('deleting a service removes its virtual server, set members and address (address last)', async () => {
    const { kernel, proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    await proxier.sync();
    proxier.onServiceUpdate(web, undefined);
    proxier.onEndpointSliceUpdate(webSlice, undefined);
    const report = await proxier.sync();
    const lines = renderPlan(report.plans[0]!).trim().split('\n');
    assert.equal(lines.at(-1), 'addr del 10.96.0.10/32 dev kube-ipvs0');
    assert.ok(lines.includes('ipvs delete service TCP 10.96.0.10:80'));
    assert.deepEqual(await kernel.ipvs.dump(), []);
    assert.deepEqual(await kernel.ipset.listMembers('KUBE-CLUSTER-IP'), []);
  });

  it('a full sync repairs drift; foreign and excluded virtual servers survive', async () => {
    const kernel = createFakeKernel();
    const foreign = { key: { kind: 'address' as const, family: 4 as const, protocol: 'TCP' as const, address: '192.0.2.1', port: 80 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff };
    const excluded = { ...foreign, key: { ...foreign.key, address: '10.96.200.1' } };
    await kernel.links.ensureDummy('kube-ipvs0');
    await kernel.links.changeAddresses('kube-ipvs0', { add: [{ family: 4, address: '10.96.200.1', prefixLength: 32 }], delete: [] });
    await kernel.ipvs.apply([{ op: 'addService', service: foreign }, { op: 'addService', service: excluded }]);
    const { proxier } = setup({ excludeCIDRs: ['10.96.200.0/24'] }, kernel);
    proxier.onServiceUpdate(undefined, web);
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    await proxier.sync();
    // Someone deletes our virtual server by hand: a partial sync does not look, a full one repairs.
    await kernel.ipvs.apply([{ op: 'deleteService', key: { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.10', port: 80 } }]);
    assert.equal((await proxier.sync()).writes, 0);
    const repair = await proxier.sync({ full: true });
    assert.match(renderPlan(repair.plans[0]!), /ipvs add service TCP 10\.96\.0\.10:80/);
    const addresses = (await kernel.ipvs.listServices()).map((s) => s.key.kind === 'address' ? s.key.address : '').sort();
    assert.deepEqual(addresses, ['10.96.0.10', '10.96.200.1', '192.0.2.1']);
  });

  it('a failed apply makes the next sync full', async () => {
    const { kernel, proxier } = setup();
    proxier.onServiceUpdate(undefined, web);
    await proxier.sync();
    // Make the kernel refuse: remove the virtual server behind the engine's back, then add an endpoint.
    await kernel.ipvs.apply([{ op: 'deleteService', key: { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.10', port: 80 } }]);
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    const failed = await proxier.sync();
    assert.equal(failed.full, false);
    assert.ok(failed.failures.length > 0);
    assert.equal(failed.failures[0]!.step, 'ipvs');
    const next = await proxier.sync();
    assert.equal(next.full, true);
    assert.deepEqual(next.failures, []);
    assert.equal((await kernel.ipvs.dump())[0]?.destinations.length, 2);
  });

  it('dual-stack: a full sync reads the IPVS table once for both families, and creates kube-ipvs0 once', async () => {
    const kernel = createFakeKernel();
    let dumps = 0;
    const dump = kernel.ipvs.dump.bind(kernel.ipvs);
    kernel.ipvs.dump = () => { dumps++; return dump(); };
    const proxier = new Proxier({ kernel, families: [familyConfig(), familyConfig({ family: 6, clusterCIDR: undefined })], logger });
    proxier.onServiceUpdate(undefined, web);
    const report = await proxier.sync();
    assert.equal(dumps, 1);
    assert.deepEqual(report.plans.map((p) => p.createLink), [true, false]);
    await proxier.sync({ full: true });
    assert.equal(dumps, 2);
  });
});

