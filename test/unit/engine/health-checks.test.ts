// Proxier.healthChecks: which services get a healthCheckNodePort server and the local ready
// endpoint count it reports (upstream HealthCheckNodePorts + LocalReadyEndpoints), kept per sync.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { familyConfig, service, slice, type ServiceSpec, type SliceSpec } from '../../helpers/objects.ts';

const lb = (over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'web', namespace: 'shop', clusterIP: '10.96.0.10', type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000,
  ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443, nodePort: 30443 }], ...over,
});
const PORTS = [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }];
const endpoints = (list: SliceSpec['endpoints'], over: Partial<SliceSpec> = {}) => slice({ service: 'web', namespace: 'shop', ports: PORTS, endpoints: list, ...over });

function proxierFor(dualStack = false): Proxier {
  const families = dualStack ? [familyConfig(), familyConfig({ family: 6, clusterCIDR: undefined })] : [familyConfig()];
  return new Proxier({ kernel: createFakeKernel(), families, logger: pino({ level: 'silent' }) });
}

describe('Proxier.healthChecks', () => {
  it('counts this node\'s ready endpoints by address (two ports of one pod count once); remote and terminating ones do not count', async () => {
    const proxier = proxierFor();
    proxier.onServiceUpdate(undefined, service(lb()));
    proxier.onEndpointSliceUpdate(undefined, endpoints([
      { ip: '10.244.0.5', node: 'node-a' }, { ip: '10.244.0.6', node: 'node-a' },
      { ip: '10.244.0.7', node: 'node-a', ready: false, serving: true, terminating: true },
      { ip: '10.244.1.5', node: 'node-b' },
    ]));
    assert.equal(proxier.healthChecks.size, 0, 'nothing before the sync');
    await proxier.sync();
    assert.deepEqual([...proxier.healthChecks], [['shop/web', { namespace: 'shop', name: 'web', port: 32000, localEndpoints: 2 }]]);
  });

  it('follows endpoint changes, port changes and removal; only LoadBalancer + Local + a port qualifies', async () => {
    const proxier = proxierFor();
    const svc = service(lb());
    proxier.onServiceUpdate(undefined, svc);
    proxier.onServiceUpdate(undefined, service(lb({ name: 'np', clusterIP: '10.96.0.11', type: 'NodePort' })));
    proxier.onServiceUpdate(undefined, service(lb({ name: 'cluster', clusterIP: '10.96.0.12', externalTrafficPolicy: 'Cluster' })));
    proxier.onServiceUpdate(undefined, service(lb({ name: 'none', clusterIP: '10.96.0.13', healthCheckNodePort: 0 })));
    await proxier.sync();
    assert.deepEqual([...proxier.healthChecks.keys()], ['shop/web']);
    assert.equal(proxier.healthChecks.get('shop/web')?.localEndpoints, 0);
    const one = endpoints([{ ip: '10.244.0.5', node: 'node-a' }]);
    proxier.onEndpointSliceUpdate(undefined, one);
    await proxier.sync();
    assert.equal(proxier.healthChecks.get('shop/web')?.localEndpoints, 1);
    const moved = service(lb({ healthCheckNodePort: 32001 }));
    proxier.onServiceUpdate(svc, moved);
    await proxier.sync();
    assert.equal(proxier.healthChecks.get('shop/web')?.port, 32001);
    proxier.onServiceUpdate(moved, undefined);
    await proxier.sync();
    assert.equal(proxier.healthChecks.size, 0);
  });

  it('dual-stack: each family counted alone, the larger count reported (a dual-stack pod counts once)', async () => {
    const proxier = proxierFor(true);
    proxier.onServiceUpdate(undefined, service({ ...lb(), clusterIP: '10.96.0.10' }));
    proxier.onEndpointSliceUpdate(undefined, endpoints([{ ip: '10.244.0.5', node: 'node-a' }]));
    proxier.onEndpointSliceUpdate(undefined, endpoints([{ ip: 'fd00:10:244::5', node: 'node-a' }, { ip: 'fd00:10:244::6', node: 'node-a' }], { name: 'web-v6', addressType: 'IPv6' }));
    await proxier.sync();
    assert.equal(proxier.healthChecks.get('shop/web')?.localEndpoints, 2);
  });

  it('the service\'s health-check port is in KUBE-HEALTH-CHECK-NODE-PORT after the sync, and leaves with the service', async () => {
    const kernel = createFakeKernel();
    const proxier = new Proxier({ kernel, families: [familyConfig()], logger: pino({ level: 'silent' }) });
    const svc = service(lb());
    proxier.onServiceUpdate(undefined, svc);
    await proxier.sync();
    const members = async () => (await kernel.ipset.list()).find((s) => s.name === 'KUBE-HEALTH-CHECK-NODE-PORT')?.members;
    assert.deepEqual(await members(), ['32000']);
    proxier.onServiceUpdate(svc, undefined);
    await proxier.sync();
    assert.deepEqual(await members(), []);
  });
});
