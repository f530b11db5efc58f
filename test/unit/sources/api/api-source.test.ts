import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeApiServer } from '../../../support/apiserver/server.ts';
import { loadApiConfig } from '../../../../src/sources/api/kubeconfig.ts';
import { serviceObject, sliceObject } from '../../../helpers/objects.ts';
import { nodeObject, sourceFixture, withLabels, type SourceFixture } from './harness.ts';

const isList = (path: string) => (r: { path: string; query: Readonly<Record<string, string>> }): boolean => r.path === path && r.query['watch'] === undefined;
const isWatch = (path: string) => (r: { path: string; query: Readonly<Record<string, string>> }): boolean => r.path === path && r.query['watch'] === 'true';

// Real sockets to the fake server: the tests await what the source and the server report (no
// polling), and every delay of the source's own runs on the fixture's manual clock.
describe('ApiSource against the fake API server', { timeout: 15_000 }, () => {
  let api: FakeApiServer;
  let f: SourceFixture;

  beforeEach(async () => {
    api = await FakeApiServer.start();
    api.create(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }));
    api.create(sliceObject({ service: 'a', endpoints: ['10.244.0.5'] }));
    api.create(nodeObject());
    f = sourceFixture(loadApiConfig({ master: api.url }), {}, api);
  });

  afterEach(async () => {
    await f.source.stop();
    await api.close();
  });

  it('delivers the initial lists, then watch events', async () => {
    f.source.start();
    assert.equal(await f.source.whenSynced(), true);
    assert.deepEqual(f.services.map(([a, b]) => [a?.name, b?.clusterIPs]), [[undefined, ['10.96.0.10']]]);
    assert.equal(f.slices.length, 1);
    assert.deepEqual(f.nodes.map((n) => [n?.ips, n?.zone]), [[['10.0.0.1'], 'zone-1']]);

    api.create(serviceObject({ name: 'b', clusterIP: '10.96.0.11' }));
    api.update(serviceObject({ name: 'a', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 8080 }] }));
    api.delete('endpointslices', 'default', 'a-abc');
    await f.until(() => f.services.length === 3 && f.slices.length === 2 && api.openWatches === 3, 'watch events on all three watches');
    assert.deepEqual(f.services.slice(1).map(([a, b]) => [a?.name, b?.name, b?.ports[0]?.port]), [[undefined, 'b', 80], ['a', 'a', 8080]]);
    assert.equal(f.slices[1]?.[1], undefined, 'slice deletion is {previous, undefined}');
    const watches = api.requests.filter((r) => r.query['watch'] === 'true');
    assert.equal(watches.length, 3);
    for (const w of watches) assert.equal(w.query['allowWatchBookmarks'], 'true', `${w.path} asks for bookmarks`);
    const status = f.source.status();
    assert.deepEqual([status.services.connected, status.endpointSlices.synced, status.node.restarts], [true, true, 0]);
  });

  it('sends kube-proxy\'s selectors and never delivers another proxy\'s or a headless service', async () => {
    api.create(withLabels(serviceObject({ name: 'theirs', clusterIP: '10.96.0.20' }), { 'service.kubernetes.io/service-proxy-name': 'other' }));
    api.create(nodeObject('node-b'));
    f.source.start();
    await f.source.whenSynced();
    assert.deepEqual(f.services.map(([, b]) => b?.name), ['a']);
    assert.deepEqual(f.nodes.map((n) => n?.name), ['node-a'], 'only our own Node');
    const selector = '!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless';
    assert.equal(api.requests.find(isList('/api/v1/services'))?.query['labelSelector'], selector);
    assert.equal(api.requests.find(isList('/apis/discovery.k8s.io/v1/endpointslices'))?.query['labelSelector'], selector);
    assert.equal(api.requests.find(isList('/api/v1/nodes'))?.query['fieldSelector'], 'metadata.name=node-a');

    // Labelling a service for another proxy takes it away from us, as a deletion.
    api.update(withLabels(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }), { 'service.kubernetes.io/service-proxy-name': 'other' }));
    await f.until(() => f.services.length === 2, 'the relabelled service to go');
    assert.deepEqual(f.services[1]?.map((s) => s?.name), ['a', undefined]);
  });

  it('is not synced until the Node list has arrived too', async () => {
    api.failNext(1, 500, isList('/api/v1/nodes'));
    f.source.start();
    let synced = false;
    const whenSynced = f.source.whenSynced().then((s) => { synced = s; });
    await f.until(() => f.restartDelays('node').length === 1, 'the node list to fail');
    await f.until(() => f.source.status().services.synced && f.source.status().endpointSlices.synced, 'services and slices');
    assert.equal(f.source.synced(), false);
    assert.equal(synced, false);
    assert.deepEqual(f.restartDelays('node'), [500]);
    await f.clock.advance(500);
    await whenSynced;
    assert.equal(synced, true, 'synced once the node list is retried');
    assert.equal(f.source.status().node.restarts, 1);
  });

  it('restarts every informer after a connection reset, resuming from its resourceVersion', async () => {
    f.source.start();
    await f.source.whenSynced();
    await f.until(() => api.openWatches === 3, 'three open watches'); // synced precedes the watch requests
    api.resetConnections();
    await f.until(() => ['services', 'endpointSlices', 'node'].every((i) => f.restartDelays(i).length === 1), 'all three to fail');
    assert.equal(f.source.status().services.connected, false);
    api.create(serviceObject({ name: 'while-down', clusterIP: '10.96.0.30' }));
    await f.clock.advance(499);
    assert.equal(api.openWatches, 0, 'no restart before the backoff delay');
    await f.clock.advance(1);
    await f.until(() => f.services.some(([, b]) => b?.name === 'while-down'), 'the missed event, replayed');
    await f.until(() => api.openWatches === 3, 'three watches again');
    assert.equal(api.requests.filter(isList('/api/v1/services')).length, 1, 'resumed by watch, no relist');
    assert.equal(f.source.status().services.restarts, 1);
    assert.ok(f.source.status().services.lastError !== undefined);
  });

  it('backs off exponentially while the server answers 500, then recovers', async () => {
    f.source.start();
    await f.source.whenSynced();
    await f.until(() => api.openWatches === 3, 'three open watches');
    api.failNext(2, 500, isWatch('/api/v1/services'));
    api.resetConnections();
    for (const [i, delay] of [500, 1000, 2000].entries()) {
      await f.until(() => f.restartDelays('services').length === i + 1, `failure ${i + 1}`);
      await f.clock.advance(delay);
    }
    await f.until(() => api.openWatches === 3, 'the services watch to reconnect');
    assert.deepEqual(f.restartDelays('services'), [500, 1000, 2000]);
    assert.equal(f.source.status().services.restarts, 3);
    api.create(serviceObject({ name: 'after', clusterIP: '10.96.0.31' }));
    await f.until(() => f.services.some(([, b]) => b?.name === 'after'), 'events after recovery');
    assert.equal(f.source.status().services.connected, true);
  });

  it('relists on 410 Gone, delivering deletions it missed', async () => {
    f.source.start();
    await f.source.whenSynced();
    await f.until(() => api.openWatches === 3, 'three open watches');
    api.expireWatches();
    await f.until(() => api.requests.filter(isList('/api/v1/services')).length === 2 && api.openWatches === 3, 'a relist after 410');
    assert.equal(f.restartDelays('services').length, 0, '410 is not a failure');

    // Disconnected while the history is compacted: resuming the watch gets 410, the relist shows the deletion.
    api.resetConnections();
    await f.until(() => f.restartDelays('services').length === 1, 'the reset');
    api.delete('services', 'default', 'a');
    api.compact();
    await f.clock.advance(500);
    await f.until(() => f.services.some(([a, b]) => a?.name === 'a' && b === undefined), 'the deletion, found by relisting');
    assert.equal(api.requests.filter(isList('/api/v1/services')).length, 3);
  });

  it('reports an invalid object, skips it, and keeps the last good version of one that turns invalid', async () => {
    api.create({ ...serviceObject({ name: 'bad', clusterIP: '10.96.0.40' }), spec: { clusterIP: 'not-an-ip', ports: [{ port: 80 }] } });
    f.source.start();
    await f.source.whenSynced();
    assert.deepEqual(f.services.map(([, b]) => b?.name), ['a']);
    const skipped = f.log.filter((l) => l.level === 50 && l['object'] === 'Service default/bad');
    assert.equal(skipped.length, 1, 'the error names the object');
    assert.equal(skipped[0]?.['code'], 'ERR_INVALID_VALUE');

    api.update({ ...serviceObject({ name: 'a', clusterIP: '10.96.0.10' }), spec: { clusterIP: '10.96.0.10', ports: [{ port: 99999 }] } });
    api.create(serviceObject({ name: 'c', clusterIP: '10.96.0.41' }));
    await f.until(() => f.services.length === 2, 'the next good object');
    assert.equal(f.services[1]?.[1]?.name, 'c', 'the invalid update emitted nothing');
    assert.equal(f.log.filter((l) => l['object'] === 'Service default/a').length, 1);

    api.update(serviceObject({ name: 'a', clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 81 }] }));
    await f.until(() => f.services.length === 3, 'the fixed object');
    assert.deepEqual(f.services[2]?.map((s) => s?.ports[0]?.port), [80, 81], 'previous is the last good version');
  });

  it('parses with the configured node-port range, and reports a problem once with object and field', async () => {
    await f.source.stop();
    f = sourceFixture(loadApiConfig({ master: api.url }), { limits: { nodePortRange: { from: 20000, to: 20010 } } }, api);
    const nodePort = (name: string, port: number): Record<string, unknown> => {
      const o = serviceObject({ name, clusterIP: '10.96.0.50' });
      return { ...o, spec: { ...(o['spec'] as object), type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: port }] } };
    };
    api.create(nodePort('np', 20005));
    api.create(nodePort('out', 30080));
    f.source.start();
    await f.source.whenSynced();
    const ports = new Map(f.services.map(([, b]) => [b?.name, b?.ports[0]?.nodePort]));
    assert.deepEqual([ports.get('np'), ports.get('out')], [20005, 0]);
    const problems = f.log.filter((l) => l['object'] === 'Service default/out');
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.msg ?? '', /spec\.ports\[0\]\.nodePort .*20000-20010/);
  });

  it('times out a stalled list and retries it', async () => {
    await f.source.stop();
    f = sourceFixture(loadApiConfig({ master: api.url }), { listTimeoutMs: 200 }, api);
    api.stallNext(1, isList('/api/v1/services'));
    f.source.start();
    // The other two lists must be answered first: advancing the clock would time them out too.
    const answered = (): boolean => f.source.status().endpointSlices.synced && f.source.status().node.synced;
    await f.until(() => api.requests.some(isList('/api/v1/services')) && answered(), 'the stalled list and the two others');
    await f.clock.advance(199);
    assert.deepEqual(f.restartDelays('services'), [], 'no timeout before listTimeoutMs');
    await f.clock.advance(1);
    await f.until(() => f.restartDelays('services').length === 1, 'the list to time out');
    const failure = f.log.find((l) => l['informer'] === 'services');
    assert.equal((failure?.['err'] as { code?: string } | undefined)?.code, 'ETIMEDOUT');
    assert.equal(f.source.synced(), false);
    await f.clock.advance(500);
    assert.equal(await f.source.whenSynced(), true);
  });

  it('re-opens a watch that goes silent, without counting it as a failure', async (t) => {
    await f.source.stop();
    f = sourceFixture(loadApiConfig({ master: api.url }), { watchInactivityMs: 200 }, api);
    api.stallNext(1, isWatch('/api/v1/services'));
    // The inactivity timer is the client library's own setTimeout, which takes no clock: drive
    // it with node:test's mock timers rather than wait 200 ms.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    f.source.start();
    await f.source.whenSynced();
    await f.until(() => api.requests.some(isWatch('/api/v1/services')), 'the watch that will stall');
    t.mock.timers.tick(199);
    assert.equal(api.requests.filter(isWatch('/api/v1/services')).length, 1, 'not re-opened before watchInactivityMs');
    t.mock.timers.tick(1);
    await f.until(() => api.requests.filter(isWatch('/api/v1/services')).length === 2, 'a second watch');
    t.mock.timers.reset();
    api.create(serviceObject({ name: 'later', clusterIP: '10.96.0.50' }));
    await f.until(() => f.services.some(([, b]) => b?.name === 'later'), 'events on the new watch');
    assert.equal(f.restartDelays('services').length, 0);
  });

  it('reports the Node\'s changes and its deletion', async () => {
    f.source.start();
    await f.source.whenSynced();
    api.update(nodeObject('node-a', { spec: { taints: [{ key: 'ToBeDeletedByClusterAutoscaler', effect: 'NoSchedule' }] } }));
    await f.until(() => f.nodes.length === 2, 'the tainted node');
    assert.equal(f.nodes[1]?.toBeDeletedByClusterAutoscaler, true);
    api.delete('nodes', undefined, 'node-a');
    await f.until(() => f.nodes.length === 3, 'the deletion');
    assert.equal(f.nodes[2], undefined);
  });

  it('syncs without a Node object, warning that node IPs and zone are unknown', async () => {
    api.delete('nodes', undefined, 'node-a');
    f.source.start();
    assert.equal(await f.source.whenSynced(), true);
    assert.deepEqual(f.nodes, []);
    assert.equal(f.log.filter((l) => l.level === 40 && l['node'] === 'node-a').length, 1);
  });

  it('resolves whenSynced with false when stopped first', async () => {
    api.stallNext(1, isList('/api/v1/nodes'));
    f.source.start();
    const result = f.source.whenSynced();
    await f.until(() => f.source.status().services.synced, 'services');
    await f.source.stop();
    assert.equal(await result, false);
  });
});
