// The cluster-mode daemon on the fake kernel against the test API server: no sync before all three
// initial lists, and a burst of watch events coalesces into few syncs. Real sockets, manual time:
// the tests await what the daemon reports and drive its backoff, kick and sync timers.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ApiDaemon } from '../../../src/daemon/api-daemon.ts';
import type { SyncObserver } from '../../../src/daemon/sync-loop.ts';
import type { SyncReport } from '../../../src/engine/proxier.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { loadApiConfig } from '../../../src/sources/api/kubeconfig.ts';
import { FakeApiServer } from '../../support/apiserver/server.ts';
import { Activity } from '../../helpers/activity.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig, serviceObject, sliceObject } from '../../helpers/objects.ts';
import { captureLogger, restartDelays } from '../sources/api/harness.ts';

const NODE = 'node-a';
const nodeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: '192.0.2.10' }] } };
const isNodeList = (r: { path: string; query: Readonly<Record<string, string>> }): boolean => r.path === '/api/v1/nodes' && r.query['watch'] === undefined;

describe('ApiDaemon', { timeout: 15_000 }, () => {
  let api: FakeApiServer | undefined;
  let daemon: ApiDaemon | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await api?.close();
  });

  function start(server: FakeApiServer, minSyncPeriodMs: number) {
    const kernel = createFakeKernel();
    const clock = new ManualClock();
    const activity = new Activity();
    server.onActivity(activity.notify);
    const { logger, lines } = captureLogger(activity.notify);
    const syncs: SyncReport[] = [];
    let changes = 0;
    const observer: SyncObserver = {
      serviceChanged: () => { changes++; activity.notify(); },
      endpointSliceChanged: () => { changes++; activity.notify(); },
      syncLoopStarted: () => undefined,
      syncCompleted: () => undefined,
      setNodeEligible: () => undefined,
    };
    const proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE })], logger: pino({ level: 'silent' }), clock });
    daemon = new ApiDaemon({
      kubeConfig: loadApiConfig({ master: server.url }), nodeName: NODE, proxier, logger, observer, clock, random: () => 0.5,
      minSyncPeriodMs, syncPeriodMs: 60_000, onSync: (r) => { syncs.push(r); activity.notify(); },
    });
    const started = daemon.start();
    return {
      kernel, syncs, started, clock,
      changes: () => changes,
      restartDelays: (informer: string) => restartDelays(lines, informer),
      until: (condition: () => boolean, what: string) => activity.until(condition, what),
    };
  }

  it('does not sync before the Services, EndpointSlices and Node lists have all arrived', async () => {
    api = await FakeApiServer.start({ port: 0 });
    api.apply(nodeObject);
    api.apply(serviceObject({ name: 'web', clusterIP: '10.96.0.10' }));
    // The node list fails for a while: the daemon must wait, not sync an incomplete picture.
    api.failNext(3, 500, isNodeList);
    const d = start(api, 0);
    for (const [i, delay] of [500, 1000, 2000].entries()) {
      await d.until(() => d.restartDelays('node').length === i + 1, `node list failure ${i + 1}`);
      await d.clock.advance(0);
      assert.equal(d.syncs.length, 0);
      assert.deepEqual(await d.kernel.ipvs.listServices(), []);
      await d.clock.advance(delay);
    }
    assert.equal(await d.started, true);
    await d.clock.advance(0); // the first sync is due at once
    await d.until(() => d.syncs.length > 0, 'the first sync');
    assert.equal(d.syncs[0]?.full, true);
    assert.equal((await d.kernel.ipvs.listServices()).length, 1);
  });

  it('a burst of 100 watch events becomes a couple of syncs, and all of it is programmed', async () => {
    api = await FakeApiServer.start({ port: 0 });
    api.apply(nodeObject);
    const d = start(api, 500);
    await d.started;
    await d.clock.advance(0);
    await d.until(() => d.syncs.length === 1, 'the initial sync');
    for (let i = 0; i < 50; i++) {
      api.apply(serviceObject({ name: `svc-${i}`, clusterIP: `10.96.2.${i}` }));
      api.apply(sliceObject({ service: `svc-${i}`, endpoints: [`10.244.2.${i}`] }));
    }
    await d.until(() => d.changes() === 100, 'all 100 watch events');
    await d.clock.advance(500); // the kick, then minSyncPeriod after the initial sync
    await d.until(() => d.syncs.reduce((n, s) => n + s.servicesChanged, 0) >= 50, 'all 50 services synced');
    assert.ok(d.syncs.length <= 3, `${d.syncs.length} syncs for one burst`);
    const dump = await d.kernel.ipvs.dump();
    assert.equal(dump.length, 50);
    assert.ok(dump.every((vs) => vs.destinations.length === 1));
  });
});
