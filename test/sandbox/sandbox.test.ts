// The sandbox itself: the kernel features every other real-kernel test relies on.
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tool } from './require-sandbox.ts';
import { httpFrom, startPodNetwork, type PodNetwork } from '../../sandbox/topology.ts';

describe('sandbox kernel', () => {
  it('has the modules ipvs-proxier needs', () => {
    const modules = readFileSync('/proc/modules', 'utf8');
    for (const m of ['ip_vs', 'ip_vs_rr', 'ip_vs_mh', 'dummy', 'veth', 'bridge', 'br_netfilter', 'ip_set', 'xt_set', 'iptable_nat']) {
      assert.match(modules, new RegExp(`^${m} `, 'm'), `module ${m} is not loaded`);
    }
  });

  it('is set up like a node', () => {
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), '1');
    assert.equal(readFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').trim(), '1');
  });

  it('has IPVS, ipset and iptables-legacy tools that talk to this kernel', () => {
    assert.match(tool('ipvsadm', '-Ln'), /IP Virtual Server version/);
    tool('ipset', 'create', 'SANDBOX-PROBE', 'hash:ip');
    assert.match(tool('ipset', 'list', '-n'), /SANDBOX-PROBE/);
    tool('ipset', 'destroy', 'SANDBOX-PROBE');
    assert.match(tool('iptables-legacy-save', '-t', 'nat'), /\*nat/);
  });
});

describe('pods as network namespaces on a bridge', () => {
  let net: PodNetwork | undefined;

  before(async () => {
    net = await startPodNetwork([{ name: 'sbx-a', ip: '10.244.0.11' }, { name: 'sbx-b', ip: '10.244.0.12' }]);
  });

  after(() => {
    net?.teardown();
  });

  it('pod to pod', () => assert.deepEqual(httpFrom('sbx-a', '10.244.0.12', 8080), ['sbx-b']));
  it('node to pod', () => assert.deepEqual(httpFrom(undefined, '10.244.0.11', 8080), ['sbx-a']));
  it('a closed port is refused, not hung', () => assert.deepEqual(httpFrom('sbx-a', '10.244.0.12', 9), ['ECONNREFUSED']));
});
