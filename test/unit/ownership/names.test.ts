// The ownership lists: exact names per family and table, exact jump rules; a KUBE- prefix proves nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { desiredIptables, JUMPS } from '../../../src/desired/iptables-rules.ts';
import { desiredSets } from '../../../src/desired/ipsets.ts';
import { SetName, familySetName } from '../../../src/desired/names.ts';
import { jumpArgs } from '../../../src/kernel/iptables/rule.ts';
import { TABLES } from '../../../src/kernel/iptables/types.ts';
import { chainOwner } from '../../../src/ownership/chains.ts';
import { jumpOwner } from '../../../src/ownership/jumps.ts';
import { ownedSetFamily, setOwner } from '../../../src/ownership/sets.ts';
import { FOREIGN } from '../../helpers/node-fixtures.ts';
import { familyConfig } from '../../helpers/objects.ts';

describe('ownership: sets', () => {
  it('the sets we create are ours, in their family only', () => {
    for (const family of [4, 6] as const) {
      for (const { name } of desiredSets(family)) {
        assert.equal(setOwner(name, family), 'ours', name);
        assert.equal(setOwner(name, family === 4 ? 6 : 4), undefined, `${name} is not the other family's`);
      }
    }
  });

  it('every set of upstream\'s IPVS mode is ours now (NodePort, externalIPs, LoadBalancer), KUBE-6- copies included (cut to 31 characters)', () => {
    assert.equal(setOwner('KUBE-NODE-PORT-TCP', 4), 'ours');
    assert.equal(setOwner('KUBE-6-NODE-PORT-LOCAL-SCTP-HAS', 6), 'ours');
    assert.equal(setOwner('KUBE-6-LOAD-BALANCER-SOURCE-CID', 6), 'ours');
    assert.equal(setOwner('KUBE-HEALTH-CHECK-NODE-PORT', 4), 'ours');
    for (const base of Object.values(SetName)) for (const family of [4, 6] as const) assert.equal(setOwner(familySetName(base, family), family), 'ours');
    assert.deepEqual(desiredSets(4).map((s) => s.name).sort(), Object.values(SetName).sort());
    assert.equal(ownedSetFamily('KUBE-6-CLUSTER-IP'), 6);
    assert.equal(ownedSetFamily('KUBE-HEALTH-CHECK-NODE-PORT'), 4);
  });

  it('foreign sets, KUBE- named or not, are nobody\'s', () => {
    for (const name of [...FOREIGN.sets, 'KUBE-6-SOMETHING', 'KUBE-MY-SET', 'kube-cluster-ip', 'KUBE-CLUSTER-IP-TMP']) {
      assert.equal(ownedSetFamily(name), undefined, name);
    }
  });
});

describe('ownership: chains', () => {
  it('exactly the chains we write are ours', () => {
    const names = [
      'KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ', 'KUBE-FORWARD', 'KUBE-IPVS-FILTER', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER',
      'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-OUT-FILTER',
    ];
    const ours = TABLES.flatMap((table) => names
      .filter((name) => chainOwner(table, name) === 'ours').map((name) => `${table}/${name}`));
    for (const family of [4, 6] as const) {
      assert.deepEqual(desiredIptables(familyConfig({ family })).chains.map((c) => `${c.table}/${c.name}`).sort(), ours.sort());
    }
  });

  it('the same name is owned per table: KUBE-SERVICES is ours in nat, adopted in filter, foreign in mangle', () => {
    assert.equal(chainOwner('nat', 'KUBE-SERVICES'), 'ours');
    assert.equal(chainOwner('filter', 'KUBE-SERVICES'), 'adopted');
    assert.equal(chainOwner('mangle', 'KUBE-SERVICES'), undefined);
  });

  it('every chain of upstream\'s IPVS mode is ours, in its table', () => {
    const ours: [typeof TABLES[number], string][] = [
      ['nat', 'KUBE-NODE-PORT'], ['nat', 'KUBE-LOAD-BALANCER'], ['filter', 'KUBE-NODE-PORT'], ['filter', 'KUBE-PROXY-FIREWALL'],
      ['filter', 'KUBE-SOURCE-RANGES-FIREWALL'], ['filter', 'KUBE-IPVS-OUT-FILTER'],
    ];
    for (const [table, name] of ours) assert.equal(chainOwner(table, name), 'ours', `${table}/${name}`);
    assert.equal(chainOwner('nat', 'KUBE-PROXY-FIREWALL'), undefined);
  });

  it('upstream\'s leftovers are adopted: iptables mode, canaries, hashed service chains', () => {
    const adopted: [typeof TABLES[number], string][] = [
      ['filter', 'KUBE-EXTERNAL-SERVICES'],
      ['filter', 'KUBE-NODEPORTS'], ['nat', 'KUBE-NODEPORTS'], ['mangle', 'KUBE-PROXY-CANARY'], ['nat', 'KUBE-PROXY-CANARY'],
      ['filter', 'KUBE-PROXY-CANARY'], ['nat', 'KUBE-SVC-ERIFXISQEP7F7OF4'], ['nat', 'KUBE-SVL-ERIFXISQEP7F7OF4'],
      ['nat', 'KUBE-EXT-ERIFXISQEP7F7OF4'], ['nat', 'KUBE-FW-ERIFXISQEP7F7OF4'], ['nat', 'KUBE-SEP-IT2ZTR26TO4XFPTO'], ['nat', 'KUBE-XLB-ERIFXISQEP7F7OF4'],
    ];
    for (const [table, name] of adopted) assert.equal(chainOwner(table, name), 'adopted', `${table}/${name}`);
  });

  it('kubelet\'s, kube-router\'s and Calico\'s chains are foreign in every table; so are near-miss hashed names', () => {
    const nearMisses = ['KUBE-SVC-erifxisqep7f7of4', 'KUBE-SVC-ERIFXISQEP7F7OF', 'KUBE-SVC-ERIFXISQEP7F7OF41', 'KUBE-SEP-ERIFXISQEP7F7OF8', 'KUBE-FWX-ERIFXISQEP7F7OF4'];
    for (const table of TABLES) {
      for (const name of [...FOREIGN.chains, ...nearMisses, 'KUBE-MARK-DROP', 'KUBE-FIREWALL']) assert.equal(chainOwner(table, name), undefined, `${table}/${name}`);
    }
    assert.equal(chainOwner('filter', 'KUBE-SVC-ERIFXISQEP7F7OF4'), undefined, 'hashed chains live in nat only');
  });
});

describe('ownership: jump rules', () => {
  it('our jumps are ours, compared rule by rule', () => {
    for (const j of JUMPS) assert.equal(jumpOwner(j.table, j.chain, jumpArgs(j)), 'ours');
  });

  it('a rule with our target but other arguments, or in another chain, is foreign', () => {
    assert.equal(jumpOwner('nat', 'PREROUTING', ['-i', 'eth9', '-j', 'KUBE-SERVICES']), undefined);
    assert.equal(jumpOwner('nat', 'PREROUTING', ['-j', 'KUBE-SERVICES']), undefined);
    assert.equal(jumpOwner('nat', 'INPUT', ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']), undefined);
    assert.equal(jumpOwner('filter', 'INPUT', ['-j', 'KUBE-FIREWALL']), undefined, 'kubelet\'s');
  });

  it('upstream IPVS mode\'s jumps are ours; iptables mode\'s are adopted, extra matches first as upstream writes them', () => {
    const comment = (text: string): string[] => ['-m', 'comment', '--comment', text];
    assert.equal(jumpOwner('filter', 'INPUT', [...comment('kubernetes health check rules'), '-j', 'KUBE-NODE-PORT']), 'ours');
    assert.equal(jumpOwner('filter', 'OUTPUT', [...comment('kubernetes ipvs access filter'), '-j', 'KUBE-IPVS-OUT-FILTER']), 'ours');
    assert.equal(jumpOwner('filter', 'FORWARD', [...comment('kube-proxy firewall rules'), '-j', 'KUBE-PROXY-FIREWALL']), 'ours');
    const lbFirewall = ['-m', 'conntrack', '--ctstate', 'NEW', ...comment('kubernetes load balancer firewall'), '-j', 'KUBE-PROXY-FIREWALL'];
    assert.equal(jumpOwner('filter', 'INPUT', lbFirewall), 'adopted');
    const visible = ['-m', 'conntrack', '--ctstate', 'NEW', ...comment('kubernetes externally-visible service portals'), '-j', 'KUBE-EXTERNAL-SERVICES'];
    assert.equal(jumpOwner('filter', 'FORWARD', visible), 'adopted');
    assert.equal(jumpOwner('filter', 'FORWARD', [...comment('kubernetes externally-visible service portals'), '-j', 'KUBE-EXTERNAL-SERVICES']), undefined);
  });
});
