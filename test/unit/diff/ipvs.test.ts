// diffIpvs details: what counts as a difference, and which observed servers may be deleted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffIpvs, sameRealServer, sameService } from '../../../src/diff/ipvs.ts';
import { isExcluded } from '../../../src/ownership/exclude.ts';
import type { RealServer, VirtualServer } from '../../../src/kernel/ipvs/types.ts';
import { renderIpvs } from '../../../src/plan/render.ts';

const base: VirtualServer = { key: { kind: 'address', family: 4, protocol: 'UDP', address: '10.96.0.53', port: 53 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const rs: RealServer = { family: 4, address: '10.244.0.7', port: 5353, forward: 'masq', weight: 1, upperThreshold: 0, lowerThreshold: 0 };

describe('sameService / sameRealServer', () => {
  const services: [string, Partial<VirtualServer>, boolean][] = [
    ['identical', {}, true], ['HASHED only', { flags: 0x2 }, true], ['scheduler', { scheduler: 'wrr' }, false],
    ['persistent flag', { flags: 0x1 }, false], ['timeout', { timeout: 5 }, false], ['netmask', { netmask: 0xffffff00 }, false],
  ];
  for (const [name, over, same] of services) it(`service: ${name} → ${same ? 'same' : 'different'}`, () => assert.equal(sameService(base, { ...base, ...over }), same));
  const reals: [string, Partial<RealServer>, boolean][] = [
    ['identical', {}, true], ['weight', { weight: 0 }, false], ['forward', { forward: 'droute' }, false],
    ['upper threshold', { upperThreshold: 10 }, false], ['lower threshold', { lowerThreshold: 1 }, false],
  ];
  for (const [name, over, same] of reals) it(`real server: ${name} → ${same ? 'same' : 'different'}`, () => assert.equal(sameRealServer(rs, { ...rs, ...over }), same));
});

describe('diffIpvs', () => {
  it('an unowned observed server is never deleted; an owned one is; unknown ids are skipped', () => {
    const observed = new Map([['UDP/10.96.0.53/53', { service: base, destinations: new Map() }], ['UDP/10.96.0.54/53', { service: { ...base, key: { ...base.key, address: '10.96.0.54' } }, destinations: new Map() }]]);
    const ops = diffIpvs({
      ids: ['UDP/10.96.0.53/53', 'UDP/10.96.0.54/53', 'TCP/10.96.0.1/1'],
      desired: () => undefined,
      observed: (id) => observed.get(id),
      owned: (o) => o.service.key.kind === 'address' && o.service.key.address === '10.96.0.54',
    });
    assert.deepEqual(ops.map(renderIpvs), ['ipvs delete service UDP 10.96.0.54:53']);
  });

  it('a new service comes with all its destinations', () => {
    const ops = diffIpvs({ ids: ['x'], desired: () => ({ service: base, destinations: [rs], setMembers: [] }), observed: () => undefined, owned: () => true });
    assert.deepEqual(ops.map(renderIpvs), ['ipvs add service UDP 10.96.0.53:53 scheduler rr flags 0x0', 'ipvs add destination UDP 10.96.0.53:53 -> 10.244.0.7:5353 masq weight 1']);
  });
});

describe('isExcluded', () => {
  const cases: [string, string[], boolean][] = [
    ['10.96.200.1', ['10.96.200.0/24'], true],
    ['10.96.201.1', ['10.96.200.0/24'], false],
    ['10.96.0.1', [], false],
    ['fd00::1', ['10.0.0.0/8'], false],
    ['fd00::1', ['10.0.0.0/8', 'fd00::/64'], true],
    ['10.0.0.1', ['::/0'], false],
  ];
  for (const [address, cidrs, excluded] of cases) it(`${address} in [${cidrs.join(' ')}] → ${excluded}`, () => assert.equal(isExcluded(address, cidrs), excluded));
});
