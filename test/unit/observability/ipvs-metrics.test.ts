// Per-virtual-server IPVS counters from the kernel dump: values, sharing, caching, and a kernel
// that never answers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeIpvs } from '../../../src/kernel/ipvs/fake.ts';
import type { VirtualServerDump, VirtualServerKey } from '../../../src/kernel/ipvs/types.ts';
import { VirtualServerStats } from '../../../src/observability/ipvs-stats.ts';
import { ProxierMetrics } from '../../../src/observability/metrics.ts';
import { startMetricsServer } from '../../../src/observability/metrics-server.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { parseExposition, find, scrape, value } from './prom-text.ts';

const web: VirtualServerKey = { kind: 'address', family: 4, protocol: 'TCP', address: '10.96.0.10', port: 80 };
const dns6: VirtualServerKey = { kind: 'address', family: 6, protocol: 'UDP', address: 'fd00::a', port: 53 };

async function loadedIpvs(): Promise<FakeIpvs> {
  const ipvs = new FakeIpvs();
  const dest = (address: string, family: 4 | 6) => ({ family, address, port: 8080, forward: 'masq' as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 });
  const result = await ipvs.apply([
    { op: 'addService', service: { key: web, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'addDestination', service: web, destination: dest('10.244.0.11', 4) },
    { op: 'addDestination', service: web, destination: dest('10.244.0.12', 4) },
    { op: 'addService', service: { key: dns6, scheduler: 'rr', flags: 0, timeout: 0, netmask: 128 } },
    { op: 'addService', service: { key: { kind: 'fwmark', family: 4, fwmark: 7 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
  ]);
  assert.deepEqual(result.failures, []);
  ipvs.setServiceStats(web, { connections: 42, packetsIn: 1000, packetsOut: 900, bytesIn: 123_456, bytesOut: 9_876_543_210 });
  ipvs.setServiceStats(dns6, { connections: 7, packetsIn: 7, packetsOut: 7, bytesIn: 700, bytesOut: 1400 });
  ipvs.setDestinationCounters(web, { family: 4, address: '10.244.0.11', port: 8080 }, { activeConnections: 3, inactiveConnections: 5 });
  ipvs.setDestinationCounters(web, { family: 4, address: '10.244.0.12', port: 8080 }, { activeConnections: 2, inactiveConnections: 1 });
  return ipvs;
}

function metricsWith(stats: VirtualServerStats): ProxierMetrics {
  return new ProxierMetrics({ families: [4], virtualServers: stats, processMetrics: false });
}

describe('IPVS virtual server metrics', { timeout: 10_000 }, () => {
  it('exposes the kernel\'s counters per virtual server over HTTP', async () => {
    const ipvs = await loadedIpvs();
    const metrics = metricsWith(new VirtualServerStats({ dump: () => ipvs.dump() }));
    const server = await startMetricsServer({ bindAddress: '127.0.0.1:0', metrics });
    try {
      const exp = await scrape(server.address.port);
      const webLabels = { protocol: 'TCP', address: '10.96.0.10', port: '80' };
      assert.equal(exp.types.get('ipvs_proxier_virtual_server_connections_total'), 'counter');
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_connections_total', webLabels), 42);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_packets_in_total', webLabels), 1000);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_packets_out_total', webLabels), 900);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_bytes_in_total', webLabels), 123_456);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_bytes_out_total', webLabels), 9_876_543_210);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_active_connections', webLabels), 5);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_inactive_connections', webLabels), 6);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_bytes_out_total', { protocol: 'UDP', address: 'fd00::a', port: '53' }), 1400);
      // fwmark services have no address/port: left out rather than mislabelled.
      assert.equal(find(exp, 'ipvs_proxier_virtual_server_connections_total').length, 2);
    } finally {
      await server.close();
    }
  });

  it('a deleted virtual server disappears from the next scrape', async () => {
    const ipvs = await loadedIpvs();
    const clock = new ManualClock();
    const metrics = metricsWith(new VirtualServerStats({ dump: () => ipvs.dump(), cacheMs: 1000, clock }));
    assert.equal(find(parseExposition(await metrics.registry.metrics()), 'ipvs_proxier_virtual_server_connections_total').length, 2);
    await ipvs.apply([{ op: 'deleteService', key: dns6 }]);
    await clock.advance(1000);
    assert.equal(find(parseExposition(await metrics.registry.metrics()), 'ipvs_proxier_virtual_server_connections_total').length, 1);
  });

  it('one dump per scrape for all series, reused within cacheMs', async () => {
    const ipvs = await loadedIpvs();
    let dumps = 0;
    const clock = new ManualClock();
    const metrics = metricsWith(new VirtualServerStats({ dump: () => { dumps++; return ipvs.dump(); }, cacheMs: 1000, clock }));
    await metrics.registry.metrics();
    assert.equal(dumps, 1);
    await clock.advance(999);
    await metrics.registry.metrics();
    assert.equal(dumps, 1);
    await clock.advance(1);
    await Promise.all([metrics.registry.metrics(), metrics.registry.metrics()]);
    assert.equal(dumps, 2);
  });

  it('a hanging dump does not hang the scrape, and does not pile up dumps', async () => {
    let dumps = 0;
    let release: (d: VirtualServerDump[]) => void = () => undefined;
    const hanging = new Promise<VirtualServerDump[]>((resolve) => { release = resolve; });
    const clock = new ManualClock();
    const metrics = metricsWith(new VirtualServerStats({ dump: () => { dumps++; return hanging; }, timeoutMs: 50, clock }));
    const server = await startMetricsServer({ bindAddress: '127.0.0.1:0', metrics });
    try {
      for (let i = 1; i <= 2; i++) {
        const started = Date.now();
        const scraped = scrape(server.address.port);
        await clock.whenDueWithin(50); // the scrape has reached the read, which armed its timeout
        await clock.advance(50);
        const exp = await scraped;
        assert.ok(Date.now() - started < 1000, `scrape ${i} took ${Date.now() - started} ms`);
        assert.equal(find(exp, 'ipvs_proxier_virtual_server_connections_total').length, 0);
        assert.ok(find(exp, 'kubeproxy_sync_proxy_rules_service_changes_total').length === 1, 'the rest of the scrape is intact');
        assert.equal(value(exp, 'ipvs_proxier_virtual_server_scrape_failures_total', { reason: 'timeout' }), i, 'counted once per scrape');
      }
      assert.equal(dumps, 1, 'the second scrape waited on the same dump instead of starting another');
      const ipvs = await loadedIpvs();
      release(await ipvs.dump());
      const exp = await scrape(server.address.port);
      assert.equal(value(exp, 'ipvs_proxier_virtual_server_connections_total', { protocol: 'TCP', address: '10.96.0.10', port: '80' }), 42);
    } finally {
      await server.close();
    }
  });

  it('a failing dump is counted as an error and retried on the next scrape', async () => {
    let fail = true;
    const ipvs = await loadedIpvs();
    const metrics = metricsWith(new VirtualServerStats({
      dump: () => (fail ? Promise.reject(new Error('netlink socket closed')) : ipvs.dump()),
      cacheMs: 0,
    }));
    const first = parseExposition(await metrics.registry.metrics());
    assert.equal(value(first, 'ipvs_proxier_virtual_server_scrape_failures_total', { reason: 'error' }), 1);
    assert.equal(find(first, 'ipvs_proxier_virtual_server_connections_total').length, 0);
    fail = false;
    const second = parseExposition(await metrics.registry.metrics());
    assert.equal(find(second, 'ipvs_proxier_virtual_server_connections_total').length, 2);
  });

  it('a dump that throws synchronously does not wedge later reads', async () => {
    let calls = 0;
    const stats = new VirtualServerStats({ dump: () => { calls++; throw new Error('boom'); }, cacheMs: 0 });
    assert.equal((await stats.read()).kind, 'error');
    assert.equal((await stats.read()).kind, 'error');
    assert.equal(calls, 2);
  });
});
