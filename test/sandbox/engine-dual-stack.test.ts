// Dual-stack in the real kernel: the single-family core runs once per family. kube-ipvs0 holds a
// /32 and a /128, IPVS forwards to IPv4 and IPv6 pods, KUBE-* and KUBE-6-* sets and iptables and
// ip6tables rules are written, and traffic flows from the node and from a pod, hairpin included.
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { pino } from 'pino';
import { desiredSysctls, parseKernelRelease } from '../../src/desired/sysctls.ts';
import { Proxier } from '../../src/engine/proxier.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import { parseService } from '../../src/model/service.ts';
import type { Service } from '../../src/model/types.ts';
import { familyConfig, slice } from '../helpers/objects.ts';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';
import { POD_BRIDGE, httpFrom, inPod, startPodNetwork, type PodNetwork } from '../../sandbox/topology.ts';

const NODE = 'sandbox-node';
const GATEWAY6 = 'fd00:244::1';
const pods6 = ['fd00:244::11', 'fd00:244::12'];
const pods4 = ['10.244.0.31', '10.244.0.32'];
const VIP6 = 'fd00:96::10';
const VIP4 = '10.96.3.10';

function dualStackService(): Service {
  const r = parseService({
    kind: 'Service', metadata: { name: 'web6', namespace: 'default' },
    spec: { ipFamilyPolicy: 'RequireDualStack', clusterIP: VIP6, clusterIPs: [VIP6, VIP4], ports: [{ name: 'http', port: 80 }] },
  });
  assert.equal(r.kind, 'ok');
  return (r as { value: Service }).value;
}

describe('engine in the real kernel, dual-stack', () => {
  let kernel: OpenKernel;
  let proxier: Proxier;
  let net: PodNetwork | undefined;

  before(async () => {
    resetProxierState();
    net = await startPodNetwork(pods4.map((ip, i) => ({ name: `v6-pod-${i + 1}`, ip })));
    // The name servers listen on ::, so the IPv6 addresses can come after them.
    // nodad: duplicate address detection would hold the addresses tentative for a second or more.
    tool('ip', '-6', 'addr', 'add', `${GATEWAY6}/64`, 'dev', POD_BRIDGE, 'nodad');
    net.pods.forEach((pod, i) => {
      inPod(pod.name, 'ip', '-6', 'addr', 'add', `${pods6[i] ?? ''}/64`, 'dev', 'eth0', 'nodad');
      inPod(pod.name, 'ip', '-6', 'route', 'add', 'default', 'via', GATEWAY6);
    });
    kernel = await openKernel({ iptablesBackend: 'legacy' });
    proxier = new Proxier({
      kernel,
      families: [familyConfig({ family: 6, nodeName: NODE, clusterCIDR: 'fd00:244::/64' }), familyConfig({ family: 4, nodeName: NODE, clusterCIDR: '10.244.0.0/16' })],
      logger: pino({ level: 'silent' }),
      sysctls: desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) }),
    });
    proxier.onServiceUpdate(undefined, dualStackService());
    proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web6', name: 'web6-v6', addressType: 'IPv6', endpoints: pods6.map((ip) => ({ ip, node: NODE })) }));
    proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web6', name: 'web6-v4', endpoints: pods4.map((ip) => ({ ip, node: NODE })) }));
    const report = await proxier.sync();
    assert.deepEqual(report.failures, []);
  });

  after(async () => {
    net?.teardown();
    await kernel.close();
    resetProxierState();
  });

  it('writes the state of both families the Debian tools print', () => {
    assert.deepEqual(tool('ipvsadm', '-Sn').trim().split('\n').sort(), [
      `-A -t ${VIP4}:80 -s rr`,
      `-A -t [${VIP6}]:80 -s rr`,
      `-a -t ${VIP4}:80 -r ${pods4[0]}:8080 -m -w 1`,
      `-a -t ${VIP4}:80 -r ${pods4[1]}:8080 -m -w 1`,
      `-a -t [${VIP6}]:80 -r [${pods6[0]}]:8080 -m -w 1`,
      `-a -t [${VIP6}]:80 -r [${pods6[1]}]:8080 -m -w 1`,
    ]);
    assert.match(tool('ip', '-6', 'addr', 'show', 'kube-ipvs0'), new RegExp(`inet6 ${VIP6}/128`));
    assert.match(tool('ip', '-4', 'addr', 'show', 'kube-ipvs0'), new RegExp(`inet ${VIP4.replaceAll('.', '\\.')}/32`));
    const sets = tool('ipset', 'save');
    assert.match(sets, /^add KUBE-6-CLUSTER-IP fd00:96::10,tcp:80$/m);
    assert.match(sets, /^add KUBE-6-LOOP-BACK fd00:244::11,tcp:8080,fd00:244::11$/m);
    assert.match(sets, /^add KUBE-CLUSTER-IP 10\.96\.3\.10,tcp:80$/m);
    assert.match(tool('ip6tables-legacy-save', '-t', 'nat'), /^-A KUBE-SERVICES -s ::1\/128 -j RETURN$/m);
  });

  it('a second sync, partial or full, writes nothing', async () => {
    assert.equal((await proxier.sync()).writes, 0);
    assert.equal((await proxier.sync({ full: true })).writes, 0);
  });

  for (const vip of [VIP6, VIP4]) {
    it(`round-robins ${vip} from the node and from a pod, including hairpin`, () => {
      assert.deepEqual(httpFrom(undefined, vip, 80, 4).sort(), ['v6-pod-1', 'v6-pod-1', 'v6-pod-2', 'v6-pod-2']);
      assert.deepEqual(httpFrom('v6-pod-1', vip, 80, 4).sort(), ['v6-pod-1', 'v6-pod-1', 'v6-pod-2', 'v6-pod-2']);
    });
  }
});
