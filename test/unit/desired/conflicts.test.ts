// Two services claiming one virtual server: the older wins (then namespace/name), the loser's other
// ports are served, its claim takes over in the update that removes the winner, only the winner's
// set members are desired, and each conflict is reported once when it starts and once when it ends.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { outranks } from '../../../src/desired/conflicts.ts';
import { contributeService } from '../../../src/desired/contribution.ts';
import { DesiredStateIndex } from '../../../src/desired/index.ts';
import type { Service } from '../../../src/model/types.ts';
import { familyConfig, service, slice, type ServiceSpec } from '../../helpers/objects.ts';

const VIP = '10.96.10.1';
const ID = `TCP/${VIP}/80`;
const OLD = '2020-01-01T00:00:00Z';
const NEW = '2024-01-01T00:00:00Z';

/** `name` with one endpoint 10.244.0.<host> on node-a (local: it gets a loop-back member). */
function put(index: DesiredStateIndex, spec: ServiceSpec, host: number): Service {
  const s = service(spec);
  const endpoints = slice({ service: spec.name, endpoints: [`10.244.0.${host}`], ports: [{ name: 'http', port: 8080 }, { name: 'extra', port: 9090 }] });
  index.setService(`default/${spec.name}`, contributeService(s, endpoints.endpointsByPort, familyConfig()), s.creationTimestamp);
  return s;
}

const dests = (index: DesiredStateIndex, id = ID): string[] | undefined => index.virtualServer(id)?.destinations.map((d) => `${d.address}:${d.port}`);
const conflicts = (index: DesiredStateIndex): { started: string[]; ended: string[] } => {
  const c = index.takeConflictChanges();
  const line = (x: { virtualServer: string; winner: string; loser: string; decidedBy: string }): string => `${x.virtualServer} ${x.winner} > ${x.loser} by ${x.decidedBy}`;
  return { started: c.started.map(line), ended: c.ended.map(line) };
};
const NO_CONFLICT_CHANGE = { started: [], ended: [] };

describe('outranks', () => {
  const cases: [string, number | undefined, string, number | undefined, boolean][] = [
    ['ns/z', 1, 'ns/a', 2, true], // older wins over the smaller name
    ['ns/a', 2, 'ns/z', 1, false],
    ['ns/a', 5, 'ns/b', 5, true], // same time: name
    ['ns/b', 5, 'ns/a', 5, false],
    ['ns/z', 9, 'ns/a', undefined, true], // an unknown time sorts after every known one
    ['ns/a', undefined, 'ns/z', 9, false],
    ['ns/a', undefined, 'ns/b', undefined, true], // both unknown: name
    ['a/z', undefined, 'b/a', undefined, true], // namespace first: it is namespace/name
  ];
  for (const [a, ta, b, tb, expected] of cases) {
    it(`${a}@${ta ?? '?'} ${expected ? 'outranks' : 'does not outrank'} ${b}@${tb ?? '?'}`, () => {
      assert.equal(outranks({ name: a, createdAt: ta }, { name: b, createdAt: tb }), expected);
    });
  }
});

describe('DesiredStateIndex: conflicts', () => {
  const older = { name: 'zeta', clusterIP: VIP, createdAt: OLD };
  const newer = { name: 'alpha', clusterIP: VIP, createdAt: NEW };

  for (const order of [['older', 'newer'], ['newer', 'older']] as const) {
    it(`creation order decides, not the name or the event order (${order.join(' then ')})`, () => {
      const index = new DesiredStateIndex();
      for (const which of order) put(index, which === 'older' ? older : newer, which === 'older' ? 1 : 2);
      assert.deepEqual(dests(index), ['10.244.0.1:8080']);
      assert.deepEqual(conflicts(index), { started: [`${VIP}:80/TCP default/zeta > default/alpha by creationTimestamp`], ended: [] });
    });
  }

  it('same creation time: the smaller namespace/name wins', () => {
    const index = new DesiredStateIndex();
    put(index, { ...older, name: 'b' }, 2);
    put(index, { ...older, name: 'a' }, 1);
    assert.deepEqual(dests(index), ['10.244.0.1:8080']);
    assert.deepEqual(conflicts(index).started, [`${VIP}:80/TCP default/a > default/b by name`]);
  });

  it('a known creation time wins over an unknown one', () => {
    const index = new DesiredStateIndex();
    put(index, { name: 'a', clusterIP: VIP }, 1);
    put(index, { name: 'b', clusterIP: VIP, createdAt: NEW }, 2);
    assert.deepEqual(dests(index), ['10.244.0.2:8080']);
  });

  it("the loser's other ports are served: they are other virtual servers", () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, { ...newer, ports: [{ name: 'http', port: 80 }, { name: 'extra', port: 81 }] }, 2);
    assert.deepEqual(dests(index), ['10.244.0.1:8080']);
    assert.deepEqual(dests(index, `TCP/${VIP}/81`), ['10.244.0.2:9090']);
    assert.deepEqual([...index.setMembers('KUBE-CLUSTER-IP')].sort(), [`${VIP},tcp:80`, `${VIP},tcp:81`]);
    // The loser's endpoint is a destination of :81 only, so only that hairpin entry is desired.
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')].sort(), ['10.244.0.1,tcp:8080,10.244.0.1', '10.244.0.2,tcp:9090,10.244.0.2']);
  });

  it("only the winner's set members are desired for the shared virtual server", () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')], ['10.244.0.1,tcp:8080,10.244.0.1']);
    assert.deepEqual([...index.setMembers('KUBE-CLUSTER-IP')], [`${VIP},tcp:80`]);
    assert.deepEqual([...index.setMembers('KUBE-IPVS-IPS')], [VIP]);
  });

  it('the winner is stable when the loser is updated: nothing changes, nothing is reported', () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    index.takeChanges();
    conflicts(index);
    put(index, newer, 3);
    const c = index.takeChanges();
    assert.deepEqual([[...c.addresses], [...c.virtualServers], [...c.sets]], [[], [], []]);
    assert.deepEqual(dests(index), ['10.244.0.1:8080']);
    assert.deepEqual(conflicts(index), NO_CONFLICT_CHANGE);
  });

  it('when the winner goes, the loser takes over in the same update, with its members; the conflict ends', () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    index.takeChanges();
    conflicts(index);
    index.setService('default/zeta', undefined);
    const c = index.takeChanges();
    assert.deepEqual([[...c.addresses], [...c.virtualServers], [...c.sets]], [[], [ID], ['KUBE-LOOP-BACK']]);
    assert.deepEqual(dests(index), ['10.244.0.2:8080']);
    assert.deepEqual([...index.setMembers('KUBE-LOOP-BACK')], ['10.244.0.2,tcp:8080,10.244.0.2']);
    assert.ok(index.hasAddress(VIP));
    assert.deepEqual(conflicts(index), { started: [], ended: [`${VIP}:80/TCP default/zeta > default/alpha by creationTimestamp`] });
  });

  it('when the loser goes, nothing the kernel sees changes; the conflict ends', () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    index.takeChanges();
    conflicts(index);
    index.setService('default/alpha', undefined);
    const c = index.takeChanges();
    assert.deepEqual([[...c.addresses], [...c.virtualServers], [...c.sets]], [[], [], []]);
    assert.deepEqual(conflicts(index).ended, [`${VIP}:80/TCP default/zeta > default/alpha by creationTimestamp`]);
  });

  it('a conflict is reported once, however many updates and resyncs follow', () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    assert.equal(conflicts(index).started.length, 1);
    for (let i = 0; i < 3; i++) {
      put(index, older, 1);
      put(index, newer, 2 + i);
      assert.deepEqual(conflicts(index), NO_CONFLICT_CHANGE);
    }
  });

  it('an even older third service takes over: the old conflict ends, two new ones start', () => {
    const index = new DesiredStateIndex();
    put(index, older, 1);
    put(index, newer, 2);
    conflicts(index);
    put(index, { name: 'mid', clusterIP: VIP, createdAt: '2019-01-01T00:00:00Z' }, 3);
    assert.deepEqual(dests(index), ['10.244.0.3:8080']);
    assert.deepEqual(conflicts(index), {
      started: [`${VIP}:80/TCP default/mid > default/zeta by creationTimestamp`, `${VIP}:80/TCP default/mid > default/alpha by creationTimestamp`],
      ended: [`${VIP}:80/TCP default/zeta > default/alpha by creationTimestamp`],
    });
  });

  it('IPv6 virtual servers are named with brackets', () => {
    const index = new DesiredStateIndex();
    for (const [name, host] of [['a', 1], ['b', 2]] as const) {
      const s = service({ name, clusterIP: 'fd00::10' });
      const eps = slice({ service: name, addressType: 'IPv6', endpoints: [`fd00:244::${host}`] });
      index.setService(`default/${name}`, contributeService(s, eps.endpointsByPort, familyConfig({ family: 6, clusterCIDR: 'fd00:244::/64' })), s.creationTimestamp);
    }
    assert.deepEqual(conflicts(index).started, ['[fd00::10]:80/TCP default/a > default/b by name']);
  });
});
