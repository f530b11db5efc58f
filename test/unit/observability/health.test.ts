// kube-proxy's /healthz and /livez semantics with an injected clock, over real HTTP on loopback.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { goTime, healthBody, startHealthServer } from '../../../src/observability/health-server.ts';
import type { HttpEndpoint } from '../../../src/observability/http-server.ts';
import { healthTimeoutMs, ProxyHealth } from '../../../src/observability/proxy-health.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

const SYNC_PERIOD_MS = 30_000;
const T0 = Date.parse('2025-03-01T12:00:00.250Z');

async function get(port: number, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('ProxyHealth (model)', () => {
  it('is healthy while starting up, even with a change queued for longer than the timeout', async () => {
    const clock = new ManualClock(T0);
    const h = new ProxyHealth({ healthTimeoutMs: healthTimeoutMs(SYNC_PERIOD_MS), clock });
    h.queuedUpdate(4);
    await clock.advance(10 * SYNC_PERIOD_MS);
    const s = h.health();
    assert.equal(s.healthy, true);
    assert.equal(s.lastUpdated, undefined);
    assert.equal(s.status.size, 0);
  });

  it('turns unhealthy exactly when the oldest queued change reaches 2 × syncPeriod, and recovers on update', async () => {
    const clock = new ManualClock(T0);
    const h = new ProxyHealth({ healthTimeoutMs: healthTimeoutMs(SYNC_PERIOD_MS), clock });
    h.updated(4);
    h.queuedUpdate(4);
    await clock.advance(1000);
    h.queuedUpdate(4); // a later change must not move the oldest pending time
    await clock.advanceTo(T0 + 2 * SYNC_PERIOD_MS - 1);
    assert.equal(h.health().healthy, true);
    await clock.advanceTo(T0 + 2 * SYNC_PERIOD_MS);
    assert.equal(h.health().healthy, false);
    assert.deepEqual(h.health().status.get('IPv4'), { lastUpdated: T0, healthy: false });
    h.updated(4);
    assert.equal(h.health().healthy, true);
    assert.equal(h.health().lastUpdated, clock.now());
  });

  it('judges families separately: one stuck family makes the whole proxy unhealthy', async () => {
    const clock = new ManualClock(T0);
    const h = new ProxyHealth({ healthTimeoutMs: 1000, clock });
    h.updated(4);
    h.updated(6);
    h.queuedUpdate(6);
    await clock.advance(1000);
    h.updated(4);
    const s = h.health();
    assert.equal(s.healthy, false);
    assert.equal(s.status.get('IPv4')?.healthy, true);
    assert.equal(s.status.get('IPv6')?.healthy, false);
  });

  it('formats times as Go\'s time.Time JSON (UTC, trailing fractional zeros dropped)', () => {
    assert.equal(goTime(undefined), '0001-01-01T00:00:00Z');
    assert.equal(goTime(Date.parse('2025-03-01T12:00:00.000Z')), '2025-03-01T12:00:00Z');
    assert.equal(goTime(Date.parse('2025-03-01T12:00:10.250Z')), '2025-03-01T12:00:10.25Z');
    assert.equal(goTime(Date.parse('2025-03-01T12:00:00.007Z')), '2025-03-01T12:00:00.007Z');
  });
});

describe('health server over HTTP', () => {
  const clock = new ManualClock(T0);
  const health = new ProxyHealth({ healthTimeoutMs: healthTimeoutMs(SYNC_PERIOD_MS), clock });
  const probes: string[] = [];
  let server: HttpEndpoint;

  before(async () => {
    server = await startHealthServer({ bindAddress: '127.0.0.1:0', health, onProbe: (kind, code) => probes.push(`${kind} ${code}`) });
  });
  after(() => server.close());

  it('fresh: both 200 with kube-proxy\'s body and headers', async () => {
    const healthz = await get(server.address.port, '/healthz');
    assert.equal(healthz.status, 200);
    assert.equal(healthz.headers.get('content-type'), 'application/json');
    assert.equal(healthz.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(healthz.body, '{"lastUpdated":"2025-03-01T12:00:00.25Z","currentTime":"2025-03-01T12:00:00.25Z","nodeEligible":true,"healthy":true}');
    const livez = await get(server.address.port, '/livez');
    assert.equal(livez.status, 200);
    assert.equal(livez.body, '{"lastUpdated":"2025-03-01T12:00:00.25Z","currentTime":"2025-03-01T12:00:00.25Z","healthy":true}');
  });

  it('a queued change older than 2 × syncPeriod fails both endpoints', async () => {
    health.updated(4); // the sync loop started at T0
    await clock.advanceTo(T0 + 1000);
    health.queuedUpdate(4);
    await clock.advanceTo(T0 + 1000 + 2 * SYNC_PERIOD_MS);
    const healthz = await get(server.address.port, '/healthz');
    const livez = await get(server.address.port, '/livez');
    assert.equal(healthz.status, 503);
    assert.equal(livez.status, 503);
    // Unhealthy: lastUpdated is the real last update, not "now".
    assert.deepEqual(JSON.parse(livez.body), {
      lastUpdated: '2025-03-01T12:00:00.25Z', currentTime: '2025-03-01T12:01:01.25Z', healthy: false,
      status: { IPv4: { lastUpdated: '2025-03-01T12:00:00.25Z', healthy: false } },
    });
    health.updated(4);
    assert.equal((await get(server.address.port, '/healthz')).status, 200);
    assert.equal((await get(server.address.port, '/livez')).status, 200);
  });

  it('a node being deleted fails /healthz only', async () => {
    health.setNodeEligible(false); // a Node being deleted (sources/api/node.ts: nodeEligible)
    const healthz = await get(server.address.port, '/healthz');
    assert.equal(healthz.status, 503);
    const body = JSON.parse(healthz.body) as Record<string, unknown>;
    assert.equal(body['nodeEligible'], false);
    assert.equal(body['healthy'], true, 'upstream\'s healthy field is the proxier\'s; eligibility only sets the code');
    assert.equal((await get(server.address.port, '/livez')).status, 200);
    health.setNodeEligible(true);
    assert.equal((await get(server.address.port, '/healthz')).status, 200);
  });

  it('counts every answered probe by code', () => {
    assert.deepEqual(probes, [
      'healthz 200', 'livez 200', 'healthz 503', 'livez 503', 'healthz 200', 'livez 200', 'healthz 503', 'livez 200', 'healthz 200',
    ]);
  });

  it('GET and HEAD only; unknown paths 404 like Go\'s ServeMux; query strings ignored', async () => {
    const post = await get(server.address.port, '/healthz', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await get(server.address.port, '/livez', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(server.address.port, '/healthz?verbose=1')).status, 200);
    const missing = await get(server.address.port, '/metrics');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '404 page not found\n');
  });
});

describe('healthBody', () => {
  it('orders fields as Go marshals upstream\'s struct and sorts families', () => {
    const status = new Map([['IPv6', { lastUpdated: T0, healthy: true }], ['IPv4', { lastUpdated: T0, healthy: true }]] as const);
    const body = healthBody({ healthy: true, lastUpdated: T0, currentTime: T0 + 5, status }, true, true);
    assert.equal(body, '{"lastUpdated":"2025-03-01T12:00:00.255Z","currentTime":"2025-03-01T12:00:00.255Z","nodeEligible":true,"healthy":true,'
      + '"status":{"IPv4":{"lastUpdated":"2025-03-01T12:00:00.25Z","healthy":true},"IPv6":{"lastUpdated":"2025-03-01T12:00:00.25Z","healthy":true}}}');
  });
});

describe('close()', () => {
  it('releases the port even with a keep-alive connection open', async () => {
    const h = new ProxyHealth({ healthTimeoutMs: 1000 });
    const server = await startHealthServer({ bindAddress: '127.0.0.1:0', health: h });
    const { port } = server.address;
    assert.equal((await get(port, '/healthz')).status, 200); // fetch keeps the connection alive
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, 'close waited for the idle connection');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  it('a busy port is a typed error', async () => {
    const a = await startHealthServer({ bindAddress: '127.0.0.1:0', health: new ProxyHealth({ healthTimeoutMs: 1 }) });
    try {
      await assert.rejects(
        startHealthServer({ bindAddress: `127.0.0.1:${a.address.port}`, health: new ProxyHealth({ healthTimeoutMs: 1 }) }),
        (e: unknown) => e instanceof Error && 'code' in e && e.code === 'ERR_HTTP_LISTEN',
      );
    } finally {
      await a.close();
    }
  });
});
