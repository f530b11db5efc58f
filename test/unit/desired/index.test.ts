// DesiredStateIndex: the union of contributions, reference counted, reporting exactly what changed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contributeService, type ServiceContribution } from '../../../src/desired/contribution.ts';
import { DesiredStateIndex, type DesiredChanges } from '../../../src/desired/index.ts';
import { familyConfig, service, slice, type ServiceSpec, type SliceSpec } from '../../helpers/objects.ts';

function contribution(s: ServiceSpec, endpoints?: SliceSpec): ServiceContribution {
  const byPort = endpoints === undefined ? new Map() : slice(endpoints).endpointsByPort;
  return contributeService(service(s), byPort, familyConfig());
}

function changes(index: DesiredStateIndex): { addresses: string[]; virtualServers: string[]; sets: string[] } {
  const c: DesiredChanges = index.takeChanges();
  return { addresses: [...c.addresses].sort(), virtualServers: [...c.virtualServers].sort(), sets: [...c.sets].sort() };
}

const NONE = { addresses: [], virtualServers: [], sets: [] };

describe('DesiredStateIndex', () => {
  it('adding a service reports its address, virtual server and sets, once', () => {
    const index = new DesiredStateIndex();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10' }, { service: 'web', endpoints: ['10.244.0.11'] }));
    assert.deepEqual(changes(index), {
      addresses: ['10.96.0.10'], virtualServers: ['TCP/10.96.0.10/80'], sets: ['KUBE-CLUSTER-IP', 'KUBE-IPVS-IPS', 'KUBE-LOOP-BACK'],
    });
    assert.deepEqual(changes(index), NONE);
    assert.deepEqual([...index.addresses()], ['10.96.0.10']);
    assert.deepEqual([...index.virtualServerIds()], ['TCP/10.96.0.10/80']);
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')], ['10.244.0.11,tcp:8080,10.244.0.11']);
    assert.equal(index.serviceCount, 1);
  });

  it('setting the same contribution again changes nothing', () => {
    const index = new DesiredStateIndex();
    const c = contribution({ name: 'web', clusterIP: '10.96.0.10' });
    index.setService('default/web', c);
    index.takeChanges();
    index.setService('default/web', c);
    assert.deepEqual(changes(index), NONE);
  });

  it('an endpoint change reports the virtual server and the loop-back set, not the address', () => {
    const index = new DesiredStateIndex();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10' }, { service: 'web', endpoints: ['10.244.0.11'] }));
    index.takeChanges();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10' }, { service: 'web', endpoints: ['10.244.0.12'] }));
    assert.deepEqual(changes(index), { addresses: [], virtualServers: ['TCP/10.96.0.10/80'], sets: ['KUBE-LOOP-BACK'] });
    assert.deepEqual(index.virtualServer('TCP/10.96.0.10/80')?.destinations.map((d) => d.address), ['10.244.0.12']);
  });

  it('a port change moves the virtual server: both ids reported, the old one gone', () => {
    const index = new DesiredStateIndex();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10' }));
    index.takeChanges();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 81 }] }));
    assert.deepEqual(changes(index), { addresses: [], virtualServers: ['TCP/10.96.0.10/80', 'TCP/10.96.0.10/81'], sets: ['KUBE-CLUSTER-IP'] });
    assert.equal(index.virtualServer('TCP/10.96.0.10/80'), undefined);
    assert.deepEqual([...index.setMembers('KUBE-CLUSTER-IP')], ['10.96.0.10,tcp:81']);
  });

  it('removing a service removes everything it alone held', () => {
    const index = new DesiredStateIndex();
    index.setService('default/web', contribution({ name: 'web', clusterIP: '10.96.0.10' }, { service: 'web', endpoints: ['10.244.0.11'] }));
    index.takeChanges();
    index.setService('default/web', undefined);
    assert.deepEqual(changes(index), {
      addresses: ['10.96.0.10'], virtualServers: ['TCP/10.96.0.10/80'], sets: ['KUBE-CLUSTER-IP', 'KUBE-IPVS-IPS', 'KUBE-LOOP-BACK'],
    });
    assert.deepEqual([...index.addresses()], []);
    assert.deepEqual([...index.virtualServerIds()], []);
    assert.deepEqual([...index.setMembers('KUBE-CLUSTER-IP')], []);
    assert.equal(index.serviceCount, 0);
  });

  it('removing a service that was never set is a no-op', () => {
    const index = new DesiredStateIndex();
    index.setService('default/ghost', undefined);
    assert.deepEqual(changes(index), NONE);
  });
});

describe('DesiredStateIndex: two services claiming the same objects', () => {
  // A shared VIP is a user error the API does not prevent. Without creation times the smallest name wins, deterministically (conflicts.test.ts: the full rule).
  const a = contribution({ name: 'a', clusterIP: '10.96.0.50' }, { service: 'a', endpoints: ['10.244.0.1'] });
  const b = contribution({ name: 'b', clusterIP: '10.96.0.50' }, { service: 'b', endpoints: ['10.244.0.2'] });
  const id = 'TCP/10.96.0.50/80';
  const dests = (index: DesiredStateIndex): string[] | undefined => index.virtualServer(id)?.destinations.map((d) => d.address);

  for (const order of [['default/a', 'default/b'], ['default/b', 'default/a']] as const) {
    it(`smallest name wins whatever the order (${order.join(' then ')})`, () => {
      const index = new DesiredStateIndex();
      for (const name of order) index.setService(name, name === 'default/a' ? a : b);
      assert.deepEqual(dests(index), ['10.244.0.1']);
    });
  }

  it('when the winner goes, the other takes over; the address and shared members stay until both go', () => {
    const index = new DesiredStateIndex();
    index.setService('default/b', b);
    index.setService('default/a', a);
    index.takeChanges();

    index.setService('default/a', undefined);
    assert.deepEqual(changes(index), { addresses: [], virtualServers: [id], sets: ['KUBE-LOOP-BACK'] });
    assert.deepEqual(dests(index), ['10.244.0.2']);
    assert.ok(index.hasAddress('10.96.0.50'));
    assert.deepEqual([...index.setMembers('KUBE-CLUSTER-IP')], ['10.96.0.50,tcp:80']);
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')], ['10.244.0.2,tcp:8080,10.244.0.2']);

    index.setService('default/b', undefined);
    assert.deepEqual(changes(index), { addresses: ['10.96.0.50'], virtualServers: [id], sets: ['KUBE-CLUSTER-IP', 'KUBE-IPVS-IPS', 'KUBE-LOOP-BACK'] });
    assert.equal(index.virtualServer(id), undefined);
    assert.equal(index.hasAddress('10.96.0.50'), false);
  });

  it('a loop-back member shared by two services survives the removal of one', () => {
    const index = new DesiredStateIndex();
    index.setService('default/x', contribution({ name: 'x', clusterIP: '10.96.0.60' }, { service: 'x', endpoints: ['10.244.0.9'] }));
    index.setService('default/y', contribution({ name: 'y', clusterIP: '10.96.0.61' }, { service: 'y', endpoints: ['10.244.0.9'] }));
    index.takeChanges();
    index.setService('default/x', undefined);
    assert.deepEqual(changes(index), { addresses: ['10.96.0.60'], virtualServers: ['TCP/10.96.0.60/80'], sets: ['KUBE-CLUSTER-IP', 'KUBE-IPVS-IPS'] });
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')], ['10.244.0.9,tcp:8080,10.244.0.9']);
  });
});
