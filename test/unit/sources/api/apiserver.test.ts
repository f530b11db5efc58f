/** The fake API server speaks the real protocol: these pin the behaviour the source tests rely on. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeApiServer } from '../../../support/apiserver/server.ts';
import { Activity } from '../../../helpers/activity.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { serviceObject } from '../../../helpers/objects.ts';
import { withLabels } from './harness.ts';

interface WatchEvent { type: string; object: { metadata: { name?: string; resourceVersion: string }; code?: number; kind?: string } }

/**
 * Reads `count` events from a watch (or until the server ends the stream), then disconnects.
 * `during` runs once the stream is open. The deadline only turns a hang into a failure.
 */
async function watchEvents(url: string, count: number, during?: () => void | Promise<void>): Promise<WatchEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(3000)]) });
  assert.equal(res.status, 200);
  await during?.();
  const events: WatchEvent[] = [];
  let buffered = '';
  try {
    for await (const chunk of res.body ?? []) {
      buffered += Buffer.from(chunk as Uint8Array).toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      events.push(...lines.map((l) => JSON.parse(l) as WatchEvent));
      if (events.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('fake API server', { timeout: 15_000 }, () => {
  let api: FakeApiServer;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock();
    api = await FakeApiServer.start({ bookmarkIntervalMs: 50, clock });
    api.create(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }));
    api.create(withLabels(serviceObject({ name: 'b', namespace: 'kube-system', clusterIP: '10.96.0.11' }), { app: 'dns', tier: 'x' }));
  });

  afterEach(async () => {
    await api.close();
  });

  it('lists like the real server: a typed list with a resourceVersion, items without kind', async () => {
    const { status, body } = await getJson(`${api.url}/api/v1/services`);
    assert.equal(status, 200);
    assert.deepEqual([body['kind'], body['apiVersion'], (body['metadata'] as { resourceVersion: string }).resourceVersion], ['ServiceList', 'v1', '2']);
    const items = body['items'] as Record<string, unknown>[];
    assert.deepEqual(items.map((i) => [i['kind'], (i['metadata'] as { resourceVersion: string }).resourceVersion]), [[undefined, '1'], [undefined, '2']]);
    const ns = await getJson(`${api.url}/api/v1/namespaces/kube-system/services`);
    assert.equal((ns.body['items'] as unknown[]).length, 1);
    const slices = await getJson(`${api.url}/apis/discovery.k8s.io/v1/endpointslices`);
    assert.equal(slices.body['kind'], 'EndpointSliceList');
  });

  it('filters by label and field selectors, and refuses a bad one with 400', async () => {
    const names = async (query: string): Promise<unknown[]> =>
      ((await getJson(`${api.url}/api/v1/services?${query}`)).body['items'] as { metadata: { name: string } }[]).map((i) => i.metadata.name);
    assert.deepEqual(await names('labelSelector=app'), ['b']);
    assert.deepEqual(await names('labelSelector=!app'), ['a']);
    assert.deepEqual(await names('labelSelector=app%3Ddns,tier%3Dx'), ['b']);
    assert.deepEqual(await names('labelSelector=app!%3Ddns'), ['a']);
    assert.deepEqual(await names('labelSelector=app%3D%3Dweb'), []);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Da'), ['a']);
    const bad = await getJson(`${api.url}/api/v1/services?fieldSelector=spec.clusterIP%3Dx`);
    assert.deepEqual([bad.status, bad.body['kind'], bad.body['code']], [400, 'Status', 400]);
  });

  it('watches from a resourceVersion: replay, live events, selector transitions', async () => {
    const events = await watchEvents(`${api.url}/api/v1/services?watch=true&resourceVersion=1&labelSelector=!skip`, 5, () => {
      api.update(withLabels(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }), { skip: 'y' }));
      api.update(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }));
      api.delete('services', 'kube-system', 'b');
      api.create(serviceObject({ name: 'c', clusterIP: '10.96.0.12' }));
    });
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.resourceVersion]), [
      ['ADDED', 'b', '2'], // replayed: created after resourceVersion 1
      ['DELETED', 'a', '3'], // stopped matching !skip
      ['ADDED', 'a', '4'], // matches again
      ['DELETED', 'b', '5'],
      ['ADDED', 'c', '6'],
    ]);
    assert.equal(events[0]?.object.kind, 'Service', 'watch objects carry their kind');
  });

  it('starts from the current state with resourceVersion 0, and sends bookmarks when asked', async () => {
    const events = await watchEvents(`${api.url}/api/v1/services?watch=true&resourceVersion=0&allowWatchBookmarks=true`, 3, () => clock.advance(50));
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'ADDED', 'BOOKMARK']);
    assert.equal(events[2]?.object.metadata.resourceVersion, '2');
  });

  it('answers an expired resourceVersion with a 410 ERROR event and ends the stream', async () => {
    api.compact();
    const events = await watchEvents(`${api.url}/api/v1/services?watch=true&resourceVersion=1`, 2);
    assert.deepEqual(events.map((e) => [e.type, e.object.code]), [['ERROR', 410]]);
  });

  it('ends a watch after timeoutSeconds', async () => {
    const started = Date.now();
    const events = await watchEvents(`${api.url}/api/v1/nodes?watch=true&resourceVersion=2&timeoutSeconds=0.2`, 1, () => clock.advance(200));
    assert.deepEqual(events, []);
    assert.ok(Date.now() - started < 2000);
  });

  it('creates, updates and deletes over HTTP with the real status codes', async () => {
    const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const svc = (port: number, rv?: string): Record<string, unknown> => {
      const o = serviceObject({ name: 'd', namespace: 'web', clusterIP: '10.96.0.13', ports: [{ port }] });
      return rv === undefined ? o : { ...o, metadata: { ...(o['metadata'] as object), resourceVersion: rv } };
    };
    const created = await getJson(`${api.url}/api/v1/namespaces/web/services`, json('POST', svc(80)));
    assert.equal(created.status, 201);
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/web/services`, json('POST', svc(80)))).status, 409);
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/web/services/d`, json('PUT', svc(81, '1')))).status, 409, 'stale resourceVersion');
    const rv = (created.body['metadata'] as { resourceVersion: string }).resourceVersion;
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/web/services/d`, json('PUT', svc(81, rv)))).status, 200);
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/other/services`, json('POST', svc(80)))).status, 400, 'namespace mismatch');
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/web/services/d`, { method: 'DELETE' })).status, 200);
    assert.equal((await getJson(`${api.url}/api/v1/namespaces/web/services/d`)).status, 404);
    assert.equal((await getJson(`${api.url}/api/v1/nope`)).status, 404);
  });

  it('requires the bearer token when configured', async () => {
    const secured = await FakeApiServer.start({ token: 't' });
    try {
      assert.equal((await getJson(`${secured.url}/version`)).status, 401);
      assert.equal((await getJson(`${secured.url}/version`, { headers: { authorization: 'Bearer t' } })).status, 200);
    } finally {
      await secured.close();
    }
  });

  it('injects faults: 500s, stalls, resets', async () => {
    api.failNext(1);
    assert.equal((await getJson(`${api.url}/version`)).status, 500);
    assert.equal((await getJson(`${api.url}/version`)).status, 200);
    api.stallNext(1);
    const activity = new Activity();
    api.onActivity(activity.notify);
    const received = api.requests.length;
    const stalled = fetch(`${api.url}/version`, { signal: AbortSignal.timeout(2000) });
    await activity.until(() => api.requests.length > received, 'the stalled request to arrive');
    api.resetConnections();
    await assert.rejects(stalled, TypeError);
  });
});

describe('fake API server process (main.ts)', { timeout: 15_000 }, () => {
  it('loads a manifests directory, listens, and serves the objects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'apiserver-'));
    await writeFile(join(dir, 'objects.yaml'), [
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec: {clusterIP: 10.96.0.20, ports: [{port: 80}]}',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata: {name: node-a}',
    ].join('\n---\n'));
    const child = spawn(process.execPath, ['test/support/apiserver/main.ts', '--port', '0', '--manifests', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const first = await new Promise<string>((resolve) => createInterface(child.stdout).once('line', resolve));
      const { url, objects } = JSON.parse(first) as { url: string; objects: number };
      assert.equal(objects, 2);
      const nodes = await getJson(`${url}/api/v1/nodes/node-a`);
      assert.equal(nodes.status, 200);
      const services = await getJson(`${url}/api/v1/services`);
      assert.deepEqual((services.body['items'] as { metadata: { name: string } }[]).map((i) => i.metadata.name), ['web']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
