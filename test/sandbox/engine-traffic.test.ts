// The engine end to end in the real kernel: the state the Debian tools print, and live traffic
// from the node and from pods through IPVS (round robin, hairpin, affinity, endpoint removal).
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { pino } from 'pino';
import { desiredSysctls, parseKernelRelease } from '../../src/desired/sysctls.ts';
import { Proxier } from '../../src/engine/proxier.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import type { Service, EndpointSliceInfo } from '../../src/model/types.ts';
import { familyConfig, service, slice } from '../helpers/objects.ts';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';
import { httpFrom, startPodNetwork, type PodNetwork } from '../../sandbox/topology.ts';

const NODE = 'sandbox-node';
const podIPs = ['10.244.0.11', '10.244.0.12', '10.244.0.13'];

function endpointsOf(name: string, ips: string[]): EndpointSliceInfo {
  return slice({ service: name, endpoints: ips.map((ip) => ({ ip, node: NODE })) });
}

/** What `ipvsadm -Sn` must print for these services, computed independently of the engine. */
function expectedIpvsadm(entries: { svc: Service; ips: string[] }[]): string[] {
  return entries.flatMap(({ svc, ips }) => {
    const vip = `${svc.clusterIPs[0]}:${svc.ports[0]!.port}`;
    const persistent = svc.sessionAffinity.kind === 'ClientIP' ? ` -p ${svc.sessionAffinity.timeoutSeconds}` : '';
    return [`-A -t ${vip} -s rr${persistent}`, ...ips.map((ip) => `-a -t ${vip} -r ${ip}:8080 -m -w 1`)];
  }).sort();
}

function ipvsadmLines(): string[] {
  return tool('ipvsadm', '-Sn').trim().split('\n').filter((l) => l !== '').sort();
}

describe('engine in the real kernel', () => {
  let kernel: OpenKernel;
  let proxier: Proxier;
  let net: PodNetwork | undefined;
  const web = service({ name: 'web', clusterIP: '10.96.0.10' });
  const sticky = service({ name: 'sticky', clusterIP: '10.96.0.11', affinity: 600 });
  let webEndpoints = endpointsOf('web', podIPs);

  before(async () => {
    resetProxierState();
    net = await startPodNetwork(podIPs.map((ip, i) => ({ name: `pod-${i + 1}`, ip })));
    kernel = await openKernel({ iptablesBackend: 'legacy' });
    proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE, clusterCIDR: '10.244.0.0/16' })], logger: pino({ level: 'silent' }),
      sysctls: desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) }),
    });
    proxier.onServiceUpdate(undefined, web);
    proxier.onServiceUpdate(undefined, sticky);
    proxier.onEndpointSliceUpdate(undefined, webEndpoints);
    proxier.onEndpointSliceUpdate(undefined, endpointsOf('sticky', podIPs));
    const report = await proxier.sync();
    assert.deepEqual(report.failures, []);
  });

  after(async () => {
    net?.teardown();
    await kernel.close();
    resetProxierState();
  });

  it('leaves exactly the desired state in the kernel, as the Debian tools print it', () => {
    assert.deepEqual(ipvsadmLines(), expectedIpvsadm([{ svc: web, ips: podIPs }, { svc: sticky, ips: podIPs }]));
    const link = JSON.parse(tool('ip', '-j', '-d', 'addr', 'show', 'kube-ipvs0')) as { operstate: string; linkinfo: { info_kind: string }; addr_info: { local: string; prefixlen: number }[] }[];
    assert.equal(link[0]?.linkinfo.info_kind, 'dummy');
    assert.equal(link[0]?.operstate, 'DOWN');
    assert.deepEqual(link[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort(), ['10.96.0.10/32', '10.96.0.11/32']);
    const sets = tool('ipset', 'save');
    assert.match(sets, /^add KUBE-CLUSTER-IP 10\.96\.0\.10,tcp:80$/m);
    assert.match(sets, /^add KUBE-LOOP-BACK 10\.244\.0\.11,tcp:8080,10\.244\.0\.11$/m);
    const nat = tool('iptables-legacy-save', '-t', 'nat');
    assert.match(nat, /^-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES$/m);
    assert.match(nat, /^-A KUBE-SERVICES ! -s 10\.244\.0\.0\/16 -m comment --comment "Kubernetes service cluster ip \+ port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ$/m);
    assert.match(nat, /^-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000\/0x4000$/m);
  });

  it('a second sync, partial or full, writes nothing (the kernel reads back as written)', async () => {
    assert.equal((await proxier.sync()).writes, 0);
    const full = await proxier.sync({ full: true });
    assert.equal(full.writes, 0);
  });

  it('round-robins connections from the node across every pod', () => {
    const answers = httpFrom(undefined, '10.96.0.10', 80, 9);
    assert.deepEqual(count(answers), { 'pod-1': 3, 'pod-2': 3, 'pod-3': 3 });
  });

  it('reaches the service from a pod, including itself (hairpin)', () => {
    const answers = httpFrom('pod-1', '10.96.0.10', 80, 6);
    assert.deepEqual(count(answers), { 'pod-1': 2, 'pod-2': 2, 'pod-3': 2 });
  });

  it('keeps a ClientIP-affinity client on one pod', () => {
    const answers = httpFrom('pod-2', '10.96.0.11', 80, 6);
    assert.equal(new Set(answers).size, 1, answers.join(','));
    assert.match(answers[0] ?? '', /^pod-\d$/);
  });

  it('refuses other ports on a ClusterIP (KUBE-IPVS-FILTER, upstream issue 72236)', () => {
    assert.deepEqual(httpFrom('pod-1', '10.96.0.10', 8081, 1), ['ECONNREFUSED']);
  });

  it('after an endpoint is removed, traffic goes only to the others', async () => {
    const next = endpointsOf('web', podIPs.slice(0, 2));
    proxier.onEndpointSliceUpdate(webEndpoints, next);
    webEndpoints = next;
    const report = await proxier.sync();
    assert.equal(report.full, false);
    assert.ok(report.writes <= 2, `writes ${report.writes}`);
    const answers = httpFrom(undefined, '10.96.0.10', 80, 8);
    assert.deepEqual(count(answers), { 'pod-1': 4, 'pod-2': 4 });
  });
});

function count(answers: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[a] = (out[a] ?? 0) + 1;
  return out;
}
