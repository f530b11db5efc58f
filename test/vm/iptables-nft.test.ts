// The iptables-nft backend in a distribution kernel (scripts/sandbox-vm): the engine programs
// Services with the nft backend, live traffic goes through IPVS and nf_tables NAT, and backend
// detection finds our rules in nft. JavaScript runs 20-50x slower under QEMU's TCG than natively,
// so this is one file with one pod network and few requests; the engine's behaviour in general is
// proven in user-mode-linux (test/sandbox).
import './require-vm.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { pino } from 'pino';
import { desiredSysctls, parseKernelRelease } from '../../src/desired/sysctls.ts';
import { Proxier } from '../../src/engine/proxier.ts';
import { ExecaRunner } from '../../src/kernel/exec/exec.ts';
import { detectBackend } from '../../src/kernel/iptables/detect.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import type { EndpointSliceInfo } from '../../src/model/types.ts';
import { familyConfig, service, slice } from '../helpers/objects.ts';
import { httpFrom, startPodNetwork, type PodNetwork } from '../../sandbox/topology.ts';
import { tool, toolQuiet } from './require-vm.ts';
import { resetProxierState } from './reset.ts';

const NODE = 'vm-node';
const podIPs = ['10.244.0.11', '10.244.0.12', '10.244.0.13'];
const WEB_VIP = '10.96.0.10';
// A Service whose only endpoint is pod-1: pod-1 reaching it must be answered by itself.
const SELF_VIP = '10.96.0.11';

function endpointsOf(name: string, ips: string[]): EndpointSliceInfo {
  return slice({ service: name, endpoints: ips.map((ip) => ({ ip, node: NODE })) });
}

/** Packets counted by the one rule of `chain` in the nat table whose text matches `rule`. */
function natPackets(save: 'iptables-nft-save' | 'iptables-legacy-save', chain: string, rule: RegExp): number {
  const lines = tool(save, '-c', '-t', 'nat').split('\n').filter((l) => l.includes(`-A ${chain} `) && rule.test(l));
  assert.equal(lines.length, 1, `one ${chain} rule matching ${String(rule)}: ${lines.join(' | ')}`);
  const m = /^\[(\d+):\d+\]/.exec(lines[0] ?? '');
  assert.ok(m, `no counters on: ${lines[0]}`);
  return Number(m[1]);
}

const LOOP_BACK_MASQ = /KUBE-LOOP-BACK dst,dst,src -j MASQUERADE/;
const SERVICE_MASQ = /"kubernetes service traffic requiring SNAT" -j MASQUERADE/;

describe('iptables-nft in a distribution kernel', () => {
  let kernel: OpenKernel | undefined;
  let proxier: Proxier;
  let net: PodNetwork | undefined;

  before(async () => {
    resetProxierState();
    net = await startPodNetwork(podIPs.map((ip, i) => ({ name: `pod-${i + 1}`, ip })));
    kernel = await openKernel({ iptablesBackend: 'nft' });
    proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE, clusterCIDR: '10.244.0.0/16' })], logger: pino({ level: 'silent' }),
      sysctls: desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) }),
    });
    proxier.onServiceUpdate(undefined, service({ name: 'web', clusterIP: WEB_VIP }));
    proxier.onEndpointSliceUpdate(undefined, endpointsOf('web', podIPs));
    proxier.onServiceUpdate(undefined, service({ name: 'self', clusterIP: SELF_VIP }));
    proxier.onEndpointSliceUpdate(undefined, endpointsOf('self', podIPs.slice(0, 1)));
    const report = await proxier.sync();
    assert.deepEqual(report.failures, []);
  });

  after(async () => {
    net?.teardown();
    await kernel?.close();
    resetProxierState();
  });

  it('runs in a kernel whose nf_tables has NAT (the module user-mode-linux lacks)', () => {
    const modules = tool('cat', '/proc/modules');
    for (const m of ['nf_tables', 'nft_chain_nat', 'nft_compat', 'ip_vs', 'br_netfilter']) assert.match(modules, new RegExp(`^${m} `, 'm'), `module ${m} is not loaded`);
  });

  it('writes our chains to iptables-nft and nothing to iptables-legacy', () => {
    const nat = tool('iptables-nft-save', '-t', 'nat');
    for (const chain of ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) assert.match(nat, new RegExp(`^:${chain} `, 'm'), `chain ${chain} in nft`);
    assert.match(nat, /^-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES$/m);
    assert.match(nat, /^-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING$/m);
    assert.match(nat, /^-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000\/0x4000$/m);
    assert.match(tool('iptables-nft-save', '-t', 'filter'), /^:KUBE-IPVS-FILTER /m);
    // Asking for the nat table by name makes the kernel instantiate it: an empty table, not a failure.
    assert.match(tool('iptables-legacy-save', '-t', 'nat'), /^\*nat$/m);
    const legacy = tool('iptables-legacy-save') + tool('ip6tables-legacy-save');
    assert.doesNotMatch(legacy, /KUBE-/);
  });

  it('reads back from iptables-nft exactly as it wrote: a full second sync writes nothing', async () => {
    const full = await proxier.sync({ full: true });
    assert.deepEqual(full.failures, []);
    assert.equal(full.writes, 0);
  });

  it('round-robins connections from the node across every pod, masqueraded by the nft rule', () => {
    const before = natPackets('iptables-nft-save', 'KUBE-POSTROUTING', SERVICE_MASQ);
    const answers = httpFrom(undefined, WEB_VIP, 80, 3);
    assert.deepEqual([...answers].sort(), ['pod-1', 'pod-2', 'pod-3']);
    assert.ok(natPackets('iptables-nft-save', 'KUBE-POSTROUTING', SERVICE_MASQ) > before, 'the SNAT rule in nft counted the node\'s connections');
  });

  it('answers a pod reaching its own Service from itself (hairpin, masqueraded by KUBE-LOOP-BACK in nft)', () => {
    const before = natPackets('iptables-nft-save', 'KUBE-POSTROUTING', LOOP_BACK_MASQ);
    assert.deepEqual(httpFrom('pod-1', SELF_VIP, 80, 1), ['pod-1']);
    assert.ok(natPackets('iptables-nft-save', 'KUBE-POSTROUTING', LOOP_BACK_MASQ) > before, 'the KUBE-LOOP-BACK masquerade rule in nft counted the hairpin connection');
  });

  it('detects nft as the node\'s backend when our rules are there, even with a rule in legacy', async () => {
    // Mirrors test/sandbox/iptables-detect.test.ts, the other way round.
    tool('iptables-legacy', '-A', 'INPUT', '-m', 'comment', '--comment', 'detect-probe', '-j', 'ACCEPT');
    try {
      const detected = await detectBackend(new ExecaRunner());
      assert.equal(detected.backend, 'nft', detected.reason);
      assert.match(detected.reason, /iptables-nft holds more rules/);
    } finally {
      toolQuiet('iptables-legacy', '-D', 'INPUT', '-m', 'comment', '--comment', 'detect-probe', '-j', 'ACCEPT');
    }
  });
});
