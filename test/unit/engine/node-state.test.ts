// Node state is an input like Services and EndpointSlices: tracked, diffed, and when what the
// desired state reads of it changes (zone, node IPs), every service is recomputed with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { NodePortAddresses } from '../../../src/config/settings.ts';
import { nodePortIPs, type FamilyConfig } from '../../../src/desired/config.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import type { FamilyProxy, ModePlan, ProxyMode } from '../../../src/engine/proxy-mode.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { nodeAddressesOf, type KernelAddress } from '../../../src/model/node-state.ts';
import type { ServiceName } from '../../../src/model/types.ts';
import { NodeTracker } from '../../../src/tracking/node-tracker.ts';
import { familyConfig, service } from '../../helpers/objects.ts';

const addr = (linkName: string, address: string): KernelAddress => ({ family: address.includes(':') ? 6 : 4, address, linkName });

describe('node IPs from the kernel address list', () => {
  it('every local address but kube-ipvs0, loopback and IPv6 link-local, sorted per family', () => {
    assert.deepEqual(nodeAddressesOf([
      addr('lo', '127.0.0.1'), addr('lo', '::1'), addr('eth0', '192.168.1.20'), addr('eth0', 'fe80::1'), addr('eth0', 'febf::9'),
      addr('eth1', '10.0.0.5'), addr('eth0', '2001:db8::20'), addr('kube-ipvs0', '10.96.0.1'), addr('kube-ipvs0', 'fd00:96::1'),
      addr('eth1', '10.0.0.5'), addr('cbr0', 'fec0::1'),
    ]), { 4: ['10.0.0.5', '192.168.1.20'], 6: ['2001:db8::20', 'fec0::1'] });
  });
});

describe('NodeTracker', () => {
  it('commits what changed, and a change set back before the commit is no change', () => {
    const t = new NodeTracker('n1');
    assert.equal(t.commit(), undefined);
    t.setObject({ labels: { a: 'b' }, zone: 'z1', eligible: true, primaryIPs: [] });
    t.setObject(undefined);
    assert.equal(t.pending, false);
    t.setAddresses({ 4: ['10.0.0.5'], 6: [] });
    const change = t.commit();
    assert.deepEqual([change?.previous.addresses[4], change?.current.addresses[4]], [[], ['10.0.0.5']]);
    t.setAddresses({ 4: ['10.0.0.5'], 6: [] });
    assert.equal(t.commit(), undefined);
  });
});

/** A mode that only records what the engine asks of it: the engine must work with any mode. */
function spyMode(log: string[]): ProxyMode<ModePlan, undefined> {
  const family = (initial: FamilyConfig): FamilyProxy<ModePlan, undefined> => {
    let config = initial;
    return {
      get family() { return config.family; },
      get config() { return config; },
      reconfigure: (next) => { config = next; },
      contribute: (name: ServiceName) => {
        const ports = config.nodePortAddresses.kind === 'all' ? '' : ` nodePortIPs=${config.nodePortIPs.join(',')}`;
        log.push(`${name} zone=${config.nodeZone ?? '-'} ips=${config.nodeIPs.join(',')}${ports}`);
      },
      takeConflictChanges: () => ({ started: [], ended: [] }),
      takeRefusalChanges: () => [],
      plan: (full) => Promise.resolve({ family: config.family, full }),
      applied: () => undefined,
    };
  };
  return { name: 'ipvs', readSnapshot: () => Promise.resolve(undefined), family, isEmpty: () => true, apply: () => Promise.resolve({ writes: 0, failures: [] }), render: () => '' };
}

describe('Proxier and node state', () => {
  function setup() {
    const log: string[] = [];
    const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }), mode: spyMode(log) });
    proxier.onServiceUpdate(undefined, service({ name: 'a', clusterIP: '10.96.0.1' }));
    proxier.onServiceUpdate(undefined, service({ name: 'b', clusterIP: '10.96.0.2' }));
    return { log, proxier };
  }

  it('a new node IP or zone recomputes every service with it; an unchanged one recomputes nothing', async () => {
    const { log, proxier } = setup();
    await proxier.sync();
    assert.deepEqual(log.splice(0), ['default/a zone=- ips=', 'default/b zone=- ips=']);
    proxier.onNodeAddresses([addr('eth0', '192.168.1.20'), addr('kube-ipvs0', '10.96.0.1')]);
    assert.equal(proxier.pendingChanges, 1);
    await proxier.sync();
    assert.deepEqual(log.splice(0), ['default/a zone=- ips=192.168.1.20', 'default/b zone=- ips=192.168.1.20']);
    proxier.onNodeAddresses([addr('eth0', '192.168.1.20'), addr('kube-ipvs0', '10.96.0.9')]);
    assert.equal(proxier.pendingChanges, 0, 'a service IP is not a node IP');
    proxier.onNodeUpdate({ labels: {}, zone: 'z1', eligible: true, primaryIPs: [] });
    await proxier.sync();
    assert.deepEqual(log.splice(0), ['default/a zone=z1 ips=192.168.1.20', 'default/b zone=z1 ips=192.168.1.20']);
  });

  it('a change only the desired state does not read (eligibility) recomputes nothing', async () => {
    const { log, proxier } = setup();
    await proxier.sync();
    log.length = 0;
    proxier.onNodeUpdate({ labels: { x: 'y' }, zone: undefined, eligible: false, primaryIPs: [] });
    await proxier.sync();
    assert.deepEqual(log, []);
    assert.equal(proxier.nodeState.eligible, false);
  });
});

describe('--nodeport-addresses picks the node IPs that serve NodePorts', () => {
  const v4 = ['10.0.0.5', '192.168.1.20'];
  const v6 = ['2001:db8::20', 'fd00:1::20'];
  const cases: { name: string; setting: NodePortAddresses; family: 4 | 6; expect: string[] }[] = [
    { name: 'all', setting: { kind: 'all' }, family: 4, expect: v4 },
    { name: 'primary: the Node object\'s IP of the family', setting: { kind: 'primary' }, family: 6, expect: ['fd00:1::20'] },
    { name: 'CIDRs of the family', setting: { kind: 'cidrs', cidrs: ['192.168.0.0/16', '2001:db8::/64'] }, family: 4, expect: ['192.168.1.20'] },
    { name: 'CIDRs of the family (IPv6)', setting: { kind: 'cidrs', cidrs: ['192.168.0.0/16', '2001:db8::/64'] }, family: 6, expect: ['2001:db8::20'] },
    { name: 'no CIDR of the family: every node IP (upstream)', setting: { kind: 'cidrs', cidrs: ['192.168.0.0/16'] }, family: 6, expect: v6 },
    { name: 'a CIDR matching nothing', setting: { kind: 'cidrs', cidrs: ['172.16.0.0/12'] }, family: 4, expect: [] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(nodePortIPs(c.family, c.setting, c.family === 4 ? v4 : v6, ['192.168.1.20', 'fd00:1::20']), c.expect));
  }

  it('follows node state: a new node IP inside the CIDR is a new NodePort IP', async () => {
    const log: string[] = [];
    const proxier = new Proxier({
      kernel: createFakeKernel(), families: [familyConfig({ nodePortAddresses: { kind: 'cidrs', cidrs: ['192.168.0.0/16'] } })],
      logger: pino({ level: 'silent' }), mode: spyMode(log),
    });
    proxier.onServiceUpdate(undefined, service({ name: 'a', clusterIP: '10.96.0.1' }));
    proxier.onNodeAddresses([addr('eth0', '192.168.1.20'), addr('eth1', '10.0.0.5')]);
    await proxier.sync();
    assert.deepEqual(log.splice(0), ['default/a zone=- ips=10.0.0.5,192.168.1.20 nodePortIPs=192.168.1.20']);
  });
});

