// The healthCheckNodePort servers over real HTTP on 127.0.0.1 (the listen address is injected, so
// no test binds a node address): upstream's status, body and headers, and the servers following
// the services, their ports and the proxy's health.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import type { HealthCheckTarget } from '../../../src/desired/health-check.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import type { ProxierError } from '../../../src/errors.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { parseService } from '../../../src/model/service.ts';
import type { Service } from '../../../src/model/types.ts';
import { startObservability } from '../../../src/observability/observability.ts';
import { healthTimeoutMs, ProxyHealth } from '../../../src/observability/proxy-health.ts';
import { healthCheckBody, healthCheckHosts, ServiceHealthServers } from '../../../src/observability/service-health.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig, serviceObject, slice } from '../../helpers/objects.ts';

const HOSTS = ['127.0.0.1'];

/** A port free on 127.0.0.1 right now (the kernel picks it). */
async function freePort(): Promise<number> {
  const server = await occupy(0);
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

interface Body {
  readonly service: { readonly namespace: string; readonly name: string };
  readonly localEndpoints: number;
  readonly serviceProxyHealthy: boolean;
}

async function probe(port: number, path = '/', method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, json: JSON.parse(body) as Body };
}

async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
    return false;
  } catch {
    return true;
  }
}

const target = (port: number, localEndpoints: number, name = 'web'): HealthCheckTarget => ({ namespace: 'shop', name, port, localEndpoints });

describe('healthCheckNodePort servers', () => {
  const targets = new Map<string, HealthCheckTarget>();
  let healthy = true;
  const listenErrors: ProxierError[] = [];
  const servers = new ServiceHealthServers({
    targets: () => targets, hosts: () => HOSTS, proxyHealthy: () => healthy, onListenError: (e) => listenErrors.push(e),
  });
  afterEach(async () => {
    targets.clear();
    healthy = true;
    listenErrors.length = 0;
    await servers.sync();
  });
  after(() => servers.close());

  it('200 with local ready endpoints and a healthy proxy: upstream\'s body and headers, on any path and method', async () => {
    const port = await freePort();
    targets.set('shop/web', target(port, 2));
    await servers.sync();
    for (const [path, method] of [['/', 'GET'], ['/healthz', 'GET'], ['/any/path?x=1', 'POST']] as const) {
      const res = await probe(port, path, method);
      assert.equal(res.status, 200, `${method} ${path}`);
      assert.equal(res.body, '{\n\t"service": {\n\t\t"namespace": "shop",\n\t\t"name": "web"\n\t},\n\t"localEndpoints": 2,\n\t"serviceProxyHealthy": true\n}');
      assert.deepEqual(JSON.parse(res.body), { service: { namespace: 'shop', name: 'web' }, localEndpoints: 2, serviceProxyHealthy: true });
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-load-balancing-endpoint-weight'), '2');
    }
  });

  it('503 without local endpoints; follows the counts each sync brings', async () => {
    const port = await freePort();
    targets.set('shop/web', target(port, 0));
    await servers.sync();
    let res = await probe(port);
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.body), { service: { namespace: 'shop', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });
    assert.equal(res.headers.get('x-load-balancing-endpoint-weight'), '0');
    targets.set('shop/web', target(port, 1));
    await servers.sync();
    res = await probe(port);
    assert.equal(res.status, 200);
    assert.equal(res.json.localEndpoints, 1);
    targets.set('shop/web', target(port, 0));
    await servers.sync();
    assert.equal((await probe(port)).status, 503);
  });

  it('503 while the proxy is unhealthy, with serviceProxyHealthy false, read at request time', async () => {
    const port = await freePort();
    targets.set('shop/web', target(port, 3));
    await servers.sync();
    healthy = false;
    const res = await probe(port);
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.body), { service: { namespace: 'shop', name: 'web' }, localEndpoints: 3, serviceProxyHealthy: false });
    healthy = true;
    assert.equal((await probe(port)).status, 200);
  });

  it('a port change closes the old server and opens the new one; removal closes it', async () => {
    const [first, second] = [await freePort(), await freePort()];
    targets.set('shop/web', target(first, 1));
    await servers.sync();
    assert.equal((await probe(first)).status, 200);
    targets.set('shop/web', target(second, 1));
    await servers.sync();
    assert.ok(await refused(first), 'the old port is closed');
    assert.equal((await probe(second)).status, 200);
    assert.deepEqual(servers.addresses('shop/web'), [{ host: '127.0.0.1', port: second }]);
    targets.delete('shop/web');
    await servers.sync();
    assert.ok(await refused(second), 'the removed service\'s server is closed');
    assert.equal(servers.addresses('shop/web'), undefined);
  });

  it('a port in use: one error naming the service and port, retried on every sync, served once free', async () => {
    const port = await freePort();
    const squatter = await occupy(port);
    targets.set('shop/web', target(port, 1));
    targets.set('shop/other', target(await freePort(), 1, 'other'));
    await servers.sync();
    await servers.sync();
    assert.equal(listenErrors.length, 1, 'reported once, not on every retry');
    const [error] = listenErrors;
    assert.equal(error?.code, 'ERR_HTTP_LISTEN');
    assert.equal(error?.object, `service shop/web port ${port}`);
    assert.match(error?.message ?? '', new RegExp(`service shop/web: cannot serve healthCheckNodePort ${port} on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    assert.equal(servers.addresses('shop/web'), undefined);
    assert.equal((await probe(targets.get('shop/other')!.port)).status, 200, 'the other service is served');
    await new Promise((resolve) => squatter.close(resolve));
    await servers.sync();
    assert.equal((await probe(port)).status, 200);
    assert.equal(listenErrors.length, 1);
  });

  it('close() closes every server, and a later sync opens none', async () => {
    const local = new ServiceHealthServers({ targets: () => targets, hosts: () => HOSTS, proxyHealthy: () => true });
    const ports = [await freePort(), await freePort()];
    targets.set('shop/a', target(ports[0]!, 1, 'a'));
    targets.set('shop/b', target(ports[1]!, 0, 'b'));
    await local.sync();
    assert.equal((await probe(ports[0]!)).status, 200);
    await local.close();
    for (const port of ports) assert.ok(await refused(port));
    await local.sync();
    for (const port of ports) assert.ok(await refused(port));
  });

  it('body: namespace and name quoted as JSON strings', () => {
    assert.equal(healthCheckBody({ namespace: 'a', name: 'b', localEndpoints: 0 }, false),
      '{\n\t"service": {\n\t\t"namespace": "a",\n\t\t"name": "b"\n\t},\n\t"localEndpoints": 0,\n\t"serviceProxyHealthy": false\n}');
  });
});

describe('healthCheckHosts', () => {
  const cfg = (over: Partial<FamilyConfig>): FamilyConfig => familyConfig(over);
  it('--nodeport-addresses unset: the wildcard, dual-stack `::` when the node serves IPv6 (upstream: 0.0.0.0)', () => {
    assert.deepEqual(healthCheckHosts([cfg({ nodePortIPs: ['192.168.1.20'] })]), ['0.0.0.0']);
    assert.deepEqual(healthCheckHosts([cfg({}), cfg({ family: 6, clusterCIDR: undefined })]), ['::']);
  });
  it('--nodeport-addresses set: the node IPs it selects, of every family', () => {
    const setting = { kind: 'cidrs', cidrs: ['192.168.1.0/24', '2001:db8::/64'] } as const;
    assert.deepEqual(healthCheckHosts([
      cfg({ nodePortAddresses: setting, nodePortIPs: ['192.168.1.20'] }),
      cfg({ family: 6, clusterCIDR: undefined, nodePortAddresses: setting, nodePortIPs: ['2001:db8::20'] }),
    ]), ['192.168.1.20', '2001:db8::20']);
  });
});

describe('healthCheckNodePort servers wired to the engine and proxy health', () => {
  const WIDE = { nodePortRange: { from: 1, to: 65535 } };
  const lb = (port: number): Service => {
    const r = parseService({
      ...serviceObject({ name: 'web', namespace: 'shop', clusterIP: '10.96.0.10', type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ingress: [{ ip: '198.51.100.1' }] }),
    }, undefined, WIDE);
    assert.equal(r.kind, 'ok');
    const value = (r as { value: Service }).value;
    return { ...value, healthCheckNodePort: port };
  };

  it('200/503 as local endpoints come and go and as the proxy turns unhealthy; stop closes the server', async () => {
    const clock = new ManualClock(Date.parse('2025-03-01T12:00:00Z'));
    const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }), clock });
    const obs = await startObservability({
      proxier, families: [familyConfig()], syncPeriodMs: 30_000, clock, processMetrics: false,
      healthzBindAddress: '', metricsBindAddress: '', serviceHealthHosts: () => HOSTS,
    });
    const port = await freePort();
    const sync = async () => { await proxier.sync(); await obs.serviceHealth.sync(); };
    try {
      const svc = lb(port);
      proxier.onServiceUpdate(undefined, svc);
      const remote = slice({ service: 'web', namespace: 'shop', endpoints: [{ ip: '10.244.1.5', node: 'node-b' }] });
      proxier.onEndpointSliceUpdate(undefined, remote);
      await sync();
      let res = await probe(port);
      assert.equal(res.status, 503);
      assert.equal(res.json.localEndpoints, 0);
      const local = slice({ service: 'web', namespace: 'shop', endpoints: [{ ip: '10.244.1.5', node: 'node-b' }, { ip: '10.244.0.7', node: 'node-a' }] });
      proxier.onEndpointSliceUpdate(remote, local);
      await sync();
      res = await probe(port);
      assert.equal(res.status, 200);
      assert.equal(res.json.localEndpoints, 1);
      // A change left unsynced for 2 × syncPeriod: the proxy is unhealthy, the check fails.
      obs.observer.syncLoopStarted();
      proxier.onServiceUpdate(undefined, { ...svc, name: 'late', healthCheckNodePort: 0 });
      obs.observer.serviceChanged();
      await clock.advance(healthTimeoutMs(30_000));
      res = await probe(port);
      assert.equal(res.status, 503);
      assert.equal(res.json.serviceProxyHealthy, false);
      await obs.close();
      assert.ok(await refused(port));
    } finally {
      await obs.close();
    }
  });

  it('the health object is the /healthz one: node eligibility does not fail the service check', async () => {
    const health = new ProxyHealth({ healthTimeoutMs: 1000, clock: new ManualClock() });
    health.setNodeEligible(false);
    const port = await freePort();
    const targets = new Map([['shop/web', target(port, 1)]]);
    const servers = new ServiceHealthServers({ targets: () => targets, hosts: () => HOSTS, proxyHealthy: () => health.health().healthy });
    try {
      await servers.sync();
      assert.equal((await probe(port)).status, 200);
    } finally {
      await servers.close();
    }
  });
});
