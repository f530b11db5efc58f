// buildPlan + diffIpvs: golden renderPlan text for ordering, ownership, stale sets and iptables drift.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contributeService } from '../../../src/desired/contribution.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import { DesiredStateIndex } from '../../../src/desired/index.ts';
import { desiredIptables } from '../../../src/desired/iptables-rules.ts';
import { desiredSets } from '../../../src/desired/ipsets.ts';
import { realServerId, virtualServerId } from '../../../src/desired/ids.ts';
import { buildPlan } from '../../../src/diff/build-plan.ts';
import { parseIptablesSave } from '../../../src/kernel/iptables/save.ts';
import { chainKey, jumpKey, type ObservedState, type ObservedVirtualServer } from '../../../src/diff/observed.ts';
import type { RealServer, VirtualServer } from '../../../src/kernel/ipvs/types.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import { familyConfig, service, slice, type ServiceSpec, type SliceSpec } from '../../helpers/objects.ts';
import { CREATE_SETS_V4, IPTABLES_FIRST_SYNC } from '../../helpers/static-plan.ts';

function desiredOf(config: FamilyConfig, ...services: [ServiceSpec, SliceSpec?][]): DesiredStateIndex {
  const index = new DesiredStateIndex();
  for (const [s, e] of services) {
    index.setService(`default/${s.name}`, contributeService(service(s), e === undefined ? new Map() : slice(e).endpointsByPort, config));
  }
  return index;
}

function vs(address: string, port: number, over: Partial<VirtualServer> = {}, dests: [string, number, Partial<RealServer>?][] = []): ObservedVirtualServer {
  const family = address.includes(':') ? 6 : 4;
  const service: VirtualServer = { key: { kind: 'address', family, protocol: 'TCP', address, port }, scheduler: 'rr', flags: 0, timeout: 0, netmask: family === 4 ? 0xffffffff : 128, ...over };
  const destinations = new Map(dests.map(([a, p, o]): [string, RealServer] => {
    const rs: RealServer = { family, address: a, port: p, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...o };
    return [realServerId(rs), rs];
  }));
  return { service, destinations };
}

/** A kernel that already holds our link, sets and iptables exactly as desired, plus `extra`. */
function observedOf(config: FamilyConfig, extra: Partial<Omit<ObservedState, 'virtualServers'>> & { virtualServers?: ObservedVirtualServer[] } = {}): ObservedState {
  const iptables = desiredIptables(config);
  return {
    linkExists: true,
    addresses: new Set(),
    sets: new Map(desiredSets(config.family).map((s) => [s.name, new Set<string>()])),
    chains: new Map(iptables.chains.map((c) => [chainKey(c.table, c.name), c.rules])),
    jumps: new Set(iptables.jumps.map(jumpKey)),
    ...extra,
    virtualServers: new Map((extra.virtualServers ?? []).map((v) => [virtualServerId(v.service.key), v])),
  };
}

/** Every set of ours, empty, with these members. */
function setsWith(config: FamilyConfig, entries: [string, Set<string>][]): Map<string, Set<string>> {
  return new Map([...desiredSets(config.family).map((s): [string, Set<string>] => [s.name, new Set()]), ...entries]);
}

function plan(config: FamilyConfig, desired: DesiredStateIndex, observed: ObservedState, partial = false): string {
  const changes = partial ? desired.takeChanges() : undefined;
  return renderPlan(buildPlan({ config, desired, sets: desiredSets(config.family), iptables: desiredIptables(config), observed, changes }));
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('buildPlan: full diff', () => {
  it('from an empty kernel: link, addresses (sorted), sets, members, iptables, then IPVS', () => {
    const config = familyConfig();
    const desired = desiredOf(config,
      [{ name: 'b', clusterIP: '10.96.0.20' }, { service: 'b', endpoints: [{ ip: '10.244.0.21', node: 'far' }] }],
      [{ name: 'a', clusterIP: '10.96.0.3', affinity: 60 }]);
    const empty: ObservedState = { linkExists: false, addresses: new Set(), virtualServers: new Map(), sets: new Map(), chains: new Map(), jumps: new Set() };
    assert.equal(plan(config, desired, empty), lines(
      'link create kube-ipvs0 type dummy (left down)',
      'addr add 10.96.0.20/32 dev kube-ipvs0',
      'addr add 10.96.0.3/32 dev kube-ipvs0',
      ...CREATE_SETS_V4,
      'ipset add KUBE-CLUSTER-IP 10.96.0.20,tcp:80',
      'ipset add KUBE-CLUSTER-IP 10.96.0.3,tcp:80',
      'ipset add KUBE-IPVS-IPS 10.96.0.20',
      'ipset add KUBE-IPVS-IPS 10.96.0.3',
      ...IPTABLES_FIRST_SYNC,
      'ipvs add service TCP 10.96.0.20:80 scheduler rr flags 0x0',
      'ipvs add service TCP 10.96.0.3:80 scheduler rr flags 0x1 timeout 60',
      'ipvs add destination TCP 10.96.0.20:80 -> 10.244.0.21:8080 masq weight 1',
    ));
  });

  it('orders writes: service adds/updates, dest adds, dest updates, dest deletes, service deletes; unbind last', () => {
    const config = familyConfig({ nodeName: 'far', excludeCIDRs: ['10.96.200.0/24'] });
    const desired = desiredOf(config,
      [{ name: 'a', clusterIP: '10.96.0.1' }, { service: 'a', endpoints: ['10.244.0.11', '10.244.0.12', '10.244.0.14'] }],
      [{ name: 'b', clusterIP: '10.96.0.2' }, { service: 'b', endpoints: ['10.244.0.21'] }]);
    const observed = observedOf(config, {
      addresses: new Set(['10.96.0.1', '10.96.0.9', '10.96.200.1']),
      sets: setsWith(config, [
        ['KUBE-CLUSTER-IP', new Set(['10.96.0.1,tcp:80', '10.96.0.9,tcp:80'])],
        ['KUBE-IPVS-IPS', new Set(['10.96.0.1', '10.96.0.9'])],
        ['KUBE-LOOP-BACK', new Set()],
      ]),
      virtualServers: [
        vs('10.96.0.1', 80, { scheduler: 'wrr', flags: 0x2 }, [['10.244.0.11', 8080], ['10.244.0.12', 8080, { weight: 0 }], ['10.244.0.13', 8080]]),
        vs('10.96.0.9', 80, {}, [['10.244.0.91', 8080]]), // ours, stale: its address is on kube-ipvs0
        vs('192.0.2.1', 80), // foreign: not our address
        vs('10.96.200.1', 80), // --ipvs-exclude-cidrs: never cleaned up
      ],
    });
    assert.equal(plan(config, desired, observed), lines(
      'addr add 10.96.0.2/32 dev kube-ipvs0',
      'ipset add KUBE-CLUSTER-IP 10.96.0.2,tcp:80',
      'ipset add KUBE-IPVS-IPS 10.96.0.2',
      'ipset del KUBE-CLUSTER-IP 10.96.0.9,tcp:80',
      'ipset del KUBE-IPVS-IPS 10.96.0.9',
      'ipvs update service TCP 10.96.0.1:80 scheduler rr flags 0x0',
      'ipvs add service TCP 10.96.0.2:80 scheduler rr flags 0x0',
      'ipvs add destination TCP 10.96.0.1:80 -> 10.244.0.14:8080 masq weight 1',
      'ipvs add destination TCP 10.96.0.2:80 -> 10.244.0.21:8080 masq weight 1',
      'ipvs update destination TCP 10.96.0.1:80 -> 10.244.0.12:8080 masq weight 1',
      'ipvs delete destination TCP 10.96.0.1:80 -> 10.244.0.13:8080',
      'ipvs delete service TCP 10.96.0.9:80',
      // As upstream: a superfluous address is unbound even in an excluded range; only its VS is protected.
      'addr del 10.96.0.9/32 dev kube-ipvs0',
      'addr del 10.96.200.1/32 dev kube-ipvs0',
    ));
  });

  it('the kernel-set HASHED flag is not a difference', () => {
    const config = familyConfig();
    const desired = desiredOf(config, [{ name: 'a', clusterIP: '10.96.0.1', affinity: 30 }]);
    const observed = observedOf(config, {
      addresses: new Set(['10.96.0.1']),
      sets: setsWith(config, [['KUBE-CLUSTER-IP', new Set(['10.96.0.1,tcp:80'])], ['KUBE-IPVS-IPS', new Set(['10.96.0.1'])], ['KUBE-LOOP-BACK', new Set()]]),
      virtualServers: [vs('10.96.0.1', 80, { flags: 0x3, timeout: 30 })],
    });
    assert.equal(plan(config, desired, observed), '');
  });

  const timeoutCases: [string, Partial<VirtualServer>][] = [['timeout', { flags: 0x1, timeout: 31 }], ['netmask', { flags: 0x1, timeout: 30, netmask: 0xffffff00 }]];
  for (const [what, over] of timeoutCases) {
    it(`a different ${what} is an in-place update`, () => {
      const config = familyConfig();
      const desired = desiredOf(config, [{ name: 'a', clusterIP: '10.96.0.1', affinity: 30 }]);
      const observed = observedOf(config, {
        addresses: new Set(['10.96.0.1']),
        sets: setsWith(config, [['KUBE-CLUSTER-IP', new Set(['10.96.0.1,tcp:80'])], ['KUBE-IPVS-IPS', new Set(['10.96.0.1'])], ['KUBE-LOOP-BACK', new Set()]]),
        virtualServers: [vs('10.96.0.1', 80, over)],
      });
      assert.equal(plan(config, desired, observed), lines('ipvs update service TCP 10.96.0.1:80 scheduler rr flags 0x1 timeout 30'));
    });
  }

  it('upstream\'s NodePort sets are ours now: their stale members are deleted, the sets kept (a full diff only)', () => {
    const config = familyConfig();
    const observed = observedOf(config, { sets: setsWith(config, [['KUBE-NODE-PORT-TCP', new Set(['30080'])]]) });
    assert.equal(plan(config, new DesiredStateIndex(), observed), lines('ipset del KUBE-NODE-PORT-TCP 30080'));
    assert.equal(plan(config, new DesiredStateIndex(), observed, true), '', 'a partial diff looks only at what changed');
  });

  it('upstream leftovers in the save: unhooked, flushed or deleted in the iptables step', () => {
    const config = familyConfig();
    // iptables mode's chains: upstream IPVS mode's are ours now, and every set of it too.
    const iptables = parseIptablesSave([
      '*filter',
      ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':KUBE-NODEPORTS - [0:0]', ':KUBE-EXTERNAL-SERVICES - [0:0]',
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-A FORWARD -i eth9 -j KUBE-EXTERNAL-SERVICES',
      '-A KUBE-NODEPORTS -p tcp -m tcp --dport 31000 -j ACCEPT',
      '-A KUBE-EXTERNAL-SERVICES -j DROP',
      'COMMIT', '',
    ].join('\n'));
    const observed = observedOf(config, { iptables });
    assert.equal(plan(config, new DesiredStateIndex(), observed), lines(
      'iptables -t filter flush KUBE-EXTERNAL-SERVICES (kept: a foreign rule in FORWARD jumps to it)',
      'iptables -t filter unhook INPUT -j KUBE-NODEPORTS',
      'iptables -t filter delete KUBE-NODEPORTS',
    ));
    assert.equal(plan(config, new DesiredStateIndex(), observed, true), '', 'a partial diff removes nothing');
  });

  it('IPv6: /128 prefixes, KUBE-6- sets, bracketed addresses', () => {
    const config = familyConfig({ family: 6, clusterCIDR: 'fd00:244::/64', nodeName: 'far' });
    const index = new DesiredStateIndex();
    const r = service({ name: 'v6', clusterIP: 'fd00::10' });
    index.setService('default/v6', contributeService(r, slice({ service: 'v6', addressType: 'IPv6', endpoints: ['fd00:244::5'] }).endpointsByPort, config));
    const observed = observedOf(config, { addresses: new Set(['fd00::99']) });
    assert.equal(plan(config, index, observed), lines(
      'addr add fd00::10/128 dev kube-ipvs0',
      'ipset add KUBE-6-CLUSTER-IP fd00::10,tcp:80',
      'ipset add KUBE-6-IPVS-IPS fd00::10',
      'ipvs add service TCP [fd00::10]:80 scheduler rr flags 0x0',
      'ipvs add destination TCP [fd00::10]:80 -> [fd00:244::5]:8080 masq weight 1',
      'addr del fd00::99/128 dev kube-ipvs0',
    ));
  });
});

describe('buildPlan: iptables drift', () => {
  const config = familyConfig();
  const base = observedOf(config);
  const services = chainKey('nat', 'KUBE-SERVICES');
  const cases: [string, ObservedState, boolean][] = [
    ['identical chains and jumps', base, false],
    ['one rule differs', { ...base, chains: new Map([...base.chains, [services, [['-j', 'ACCEPT'], ...(base.chains.get(services) ?? []).slice(1)]]]) }, true],
    ['an extra rule', { ...base, chains: new Map([...base.chains, [services, [...(base.chains.get(services) ?? []), ['-j', 'DROP']]]]) }, true],
    ['a chain missing', { ...base, chains: new Map([...base.chains].filter(([k]) => k !== chainKey('filter', 'KUBE-FORWARD'))) }, true],
    ['a jump missing (or duplicated)', { ...base, jumps: new Set([...base.jumps].filter((j) => !j.startsWith('filter/INPUT'))) }, true],
    ['a foreign KUBE- chain as well', { ...base, chains: new Map([...base.chains, [chainKey('nat', 'KUBE-FOO'), [['-j', 'RETURN']]]]) }, false],
  ];
  for (const [name, observed, rewrite] of cases) {
    it(`${name} → ${rewrite ? 'rewritten' : 'left alone'} on a full sync, never on a partial one`, () => {
      const full = buildPlan({ config, desired: new DesiredStateIndex(), sets: desiredSets(4), iptables: desiredIptables(config), observed, changes: undefined });
      assert.equal(full.iptables !== undefined, rewrite);
      const partial = buildPlan({ config, desired: new DesiredStateIndex(), sets: desiredSets(4), iptables: desiredIptables(config), observed, changes: { addresses: new Set(), virtualServers: new Set(), sets: new Set() } });
      assert.equal(partial.iptables, undefined);
    });
  }
});

describe('buildPlan: KUBE-IPVS-OUT-FILTER follows the services', () => {
  it('a partial diff rewrites the chains when the rules changed (iptablesChanged) and the mirror differs', () => {
    const config = familyConfig();
    const observed = observedOf(config);
    const changes = { addresses: new Set<string>(), virtualServers: new Set<string>(), sets: new Set<string>() };
    const refused = desiredIptables(config, [{ address: '203.0.113.5', protocol: 'TCP', port: 443 }]);
    const input = { config, desired: new DesiredStateIndex(), sets: desiredSets(4), observed, changes };
    assert.equal(buildPlan({ ...input, iptables: refused, iptablesChanged: true }).iptables, refused);
    assert.equal(buildPlan({ ...input, iptables: refused }).iptables, undefined, 'without the flag a partial diff never looks');
    assert.equal(buildPlan({ ...input, iptables: desiredIptables(config), iptablesChanged: true }).iptables, undefined, 'nothing differs');
  });
});

describe('buildPlan: partial diff', () => {
  it('looks only at what changed: drift elsewhere waits for the next full sync', () => {
    const config = familyConfig({ nodeName: 'far' });
    const desired = desiredOf(config, [{ name: 'a', clusterIP: '10.96.0.1' }, { service: 'a', endpoints: ['10.244.0.11'] }]);
    const observed = observedOf(config, {
      addresses: new Set(['10.96.0.1', '10.96.0.9']),
      sets: setsWith(config, [['KUBE-CLUSTER-IP', new Set(['10.96.0.1,tcp:80'])], ['KUBE-IPVS-IPS', new Set(['10.96.0.1'])], ['KUBE-LOOP-BACK', new Set()]]),
      virtualServers: [vs('10.96.0.1', 80, {}, [['10.244.0.11', 8080]]), vs('10.96.0.9', 80)],
    });
    desired.takeChanges(); // the state above is what the last sync applied
    assert.equal(plan(config, desired, observed, true), '');
    desired.setService('default/a', contributeService(service({ name: 'a', clusterIP: '10.96.0.1' }), slice({ service: 'a', endpoints: ['10.244.0.12'] }).endpointsByPort, config));
    assert.equal(plan(config, desired, observed, true), lines(
      'ipvs add destination TCP 10.96.0.1:80 -> 10.244.0.12:8080 masq weight 1',
      'ipvs delete destination TCP 10.96.0.1:80 -> 10.244.0.11:8080',
    ));
  });

  it('a removed service: members deleted, VS deleted, address unbound last', () => {
    const config = familyConfig({ nodeName: 'far' });
    const desired = desiredOf(config, [{ name: 'a', clusterIP: '10.96.0.1' }]);
    desired.takeChanges();
    const observed = observedOf(config, {
      addresses: new Set(['10.96.0.1']),
      sets: setsWith(config, [['KUBE-CLUSTER-IP', new Set(['10.96.0.1,tcp:80'])], ['KUBE-IPVS-IPS', new Set(['10.96.0.1'])], ['KUBE-LOOP-BACK', new Set()]]),
      virtualServers: [vs('10.96.0.1', 80)],
    });
    desired.setService('default/a', undefined);
    assert.equal(plan(config, desired, observed, true), lines(
      'ipset del KUBE-CLUSTER-IP 10.96.0.1,tcp:80',
      'ipset del KUBE-IPVS-IPS 10.96.0.1',
      'ipvs delete service TCP 10.96.0.1:80',
      'addr del 10.96.0.1/32 dev kube-ipvs0',
    ));
  });
});
