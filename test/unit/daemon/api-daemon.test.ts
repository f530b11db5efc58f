// The cluster-mode daemon on the fake kernel against the test API server: no sync before all three
// initial lists, and a burst of watch events coalesces into few syncs.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ApiDaemon } from '../../../src/daemon/api-daemon.ts';
import type { SyncReport } from '../../../src/engine/proxier.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { loadApiConfig } from '../../../src/sources/api/kubeconfig.ts';
import { FakeApiServer } from '../../support/apiserver/server.ts';
import { familyConfig, serviceObject, sliceObject } from '../../helpers/objects.ts';
import { waitFor } from '../sources/api/harness.ts';

const NODE = 'node-a';
const nodeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.10' }] } };

describe('ApiDaemon', () => {
  let api: FakeApiServer | undefined;
  let daemon: ApiDaemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await api?.close();
  });

  function start(minSyncPeriodMs: number) {
    const kernel = createFakeKernel();
    const syncs: SyncReport[] = [];
    const proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE })], logger: pino({ level: 'silent' }) });
    daemon = new ApiDaemon({
      kubeConfig: loadApiConfig({ master: api!.url }), nodeName: NODE, proxier, logger: pino({ level: 'silent' }),
      minSyncPeriodMs, syncPeriodMs: 60_000, onSync: (r) => syncs.push(r),
    });
    const started = daemon.start();
    return { kernel, syncs, started };
  }

  it('does not sync before the Services, EndpointSlices and Node lists have all arrived', async () => {
    api = await FakeApiServer.start({ port: 0 });
    api.apply(nodeObject);
    api.apply(serviceObject({ name: 'web', clusterIP: '10.96.0.10' }));
    // The node list fails for a while: the daemon must wait, not sync an incomplete picture.
    api.failNext(3, 500, (r) => r.path === '/api/v1/nodes' && r.query['watch'] === undefined);
    const { kernel, syncs, started } = start(0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(syncs.length, 0);
    assert.deepEqual(await kernel.ipvs.listServices(), []);
    assert.equal(await started, true);
    await waitFor(() => syncs.length > 0, 'the first sync', 8000);
    assert.equal(syncs[0]?.full, true);
    assert.equal((await kernel.ipvs.listServices()).length, 1);
  });

  it('a burst of 100 watch events becomes a couple of syncs, and all of it is programmed', async () => {
    api = await FakeApiServer.start({ port: 0 });
    api.apply(nodeObject);
    const { kernel, syncs, started } = start(500);
    await started;
    await waitFor(() => syncs.length === 1, 'the initial sync');
    for (let i = 0; i < 50; i++) {
      api.apply(serviceObject({ name: `svc-${i}`, clusterIP: `10.96.2.${i}` }));
      api.apply(sliceObject({ service: `svc-${i}`, endpoints: [`10.244.2.${i}`] }));
    }
    await waitFor(() => syncs.reduce((n, s) => n + s.servicesChanged, 0) >= 50, 'all 50 services synced', 8000);
    assert.ok(syncs.length <= 3, `${syncs.length} syncs for one burst`);
    const dump = await kernel.ipvs.dump();
    assert.equal(dump.length, 50);
    assert.ok(dump.every((vs) => vs.destinations.length === 1));
  });
});
