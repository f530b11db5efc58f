// kube-proxy's metrics after simulated syncs: a real Proxier on the fake kernel, the observer the
// daemon will call, and the metrics endpoint scraped over loopback HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier, type SyncReport } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { KernelError, Errno } from '../../../src/errors.ts';
import { NETWORK_PROGRAMMING_BUCKETS, SYNC_DURATION_BUCKETS } from '../../../src/observability/buckets.ts';
import { startObservability, type Observability } from '../../../src/observability/observability.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig, service, slice } from '../../helpers/objects.ts';
import { find, scrape, value, type Exposition } from './prom-text.ts';

const T0 = Date.parse('2025-03-01T12:00:00Z');
const SYNC_PERIOD_MS = 30_000;
const v4 = { ip_family: 'IPv4' };

describe('metrics after simulated syncs', () => {
  const clock = new ManualClock(T0);
  const kernel = createFakeKernel();
  const proxier = new Proxier({ kernel, families: [familyConfig()], logger: pino({ level: 'silent' }), clock });
  let obs: Observability;
  let port: number;
  const get = (): Promise<Exposition> => scrape(port);

  before(async () => {
    obs = await startObservability({
      proxier, families: [familyConfig()], syncPeriodMs: SYNC_PERIOD_MS, healthzBindAddress: '127.0.0.1:0',
      metricsBindAddress: '127.0.0.1:0', clock, processMetrics: false,
    });
    port = obs.metricsEndpoint!.address.port;
  });
  after(() => obs.close());

  const sync = async (ms: number, options: { full?: boolean } = {}): Promise<SyncReport> => {
    const report = await proxier.sync(options);
    assert.equal(report.durationMs, 0);
    await clock.advance(ms);
    const timed = { ...report, durationMs: ms };
    obs.observer.syncCompleted(timed);
    return timed;
  };

  it('before anything: kube-proxy\'s families exist, with upstream\'s buckets', async () => {
    const exp = await get();
    for (const name of ['sync_proxy_rules_duration_seconds', 'sync_full_proxy_rules_duration_seconds', 'sync_partial_proxy_rules_duration_seconds', 'network_programming_duration_seconds']) {
      assert.equal(exp.types.get(`kubeproxy_${name}`), 'histogram', name);
    }
    assert.equal(exp.types.get('kubeproxy_sync_proxy_rules_endpoint_changes_total'), 'counter');
    assert.equal(exp.types.get('kubeproxy_sync_proxy_rules_service_changes_pending'), 'gauge');
    assert.equal(exp.types.get('kubeproxy_sync_proxy_rules_no_local_endpoints_total'), 'gauge');
    assert.equal(exp.types.get('kubeproxy_sync_proxy_rules_iptables_restore_failures_total'), 'counter');
    assert.deepEqual(SYNC_DURATION_BUCKETS, [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384]);
    assert.equal(NETWORK_PROGRAMMING_BUCKETS.length, 81);
    assert.deepEqual(NETWORK_PROGRAMMING_BUCKETS.slice(0, 5), [0, 0.25, 0.5, 1, 2]);
    assert.deepEqual(NETWORK_PROGRAMMING_BUCKETS.slice(-9), [110, 115, 120, 150, 180, 210, 240, 270, 300]);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 0);
  });

  it('counts changes and pending changes, and stamps the queue time', async () => {
    obs.observer.syncLoopStarted();
    await clock.advance(1000);
    const web = service({ name: 'web', clusterIP: '10.96.0.10' });
    proxier.onServiceUpdate(undefined, web);
    obs.observer.serviceChanged();
    const webSlice = { ...slice({ service: 'web', endpoints: ['10.244.0.11'] }), lastChangeTriggerTime: clock.now() - 500 };
    proxier.onEndpointSliceUpdate(undefined, webSlice);
    obs.observer.endpointSliceChanged(undefined, webSlice);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_service_changes_total'), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_endpoint_changes_total'), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds', v4), (T0 + 1000) / 1000);
  });

  it('a full sync: durations, last sync time, network programming latency, pending back to 0', async () => {
    await sync(300); // first sync is full
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_duration_seconds_count', v4), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_duration_seconds_sum', v4), 0.3);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_duration_seconds_bucket', { ...v4, le: '0.256' }), 0);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_duration_seconds_bucket', { ...v4, le: '0.512' }), 1);
    assert.equal(value(exp, 'kubeproxy_sync_full_proxy_rules_duration_seconds_count', v4), 1);
    // Like client_golang's vectors, a label set has no series until first observed.
    assert.equal(find(exp, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_count').length, 0);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', v4), (T0 + 1300) / 1000);
    // Triggered at T0 + 500, programmed at T0 + 1300: 0.8 s.
    assert.equal(value(exp, 'kubeproxy_network_programming_duration_seconds_count', v4), 1);
    assert.equal(value(exp, 'kubeproxy_network_programming_duration_seconds_sum', v4), 0.8);
    assert.equal(value(exp, 'kubeproxy_network_programming_duration_seconds_bucket', { ...v4, le: '0.5' }), 0);
    assert.equal(value(exp, 'kubeproxy_network_programming_duration_seconds_bucket', { ...v4, le: '1' }), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 0);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 0);
  });

  it('trigger times from before the daemon started are not latency; partial syncs are counted apart', async () => {
    const old = { ...slice({ service: 'web', endpoints: ['10.244.0.11', '10.244.0.12'] }), lastChangeTriggerTime: T0 - 60_000 };
    proxier.onEndpointSliceUpdate(undefined, old);
    obs.observer.endpointSliceChanged(undefined, old);
    await sync(20);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_network_programming_duration_seconds_count', v4), 1);
    assert.equal(value(exp, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_count', v4), 1);
    assert.equal(value(exp, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_bucket', { ...v4, le: '0.016' }), 0);
    assert.equal(value(exp, 'kubeproxy_sync_partial_proxy_rules_duration_seconds_bucket', { ...v4, le: '0.032' }), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_duration_seconds_count', v4), 2);
  });

  it('an iptables-restore failure is counted, and the sync does not count as an update', async () => {
    const lastSync = value(await get(), 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', v4);
    await clock.advance(5000);
    const error = new KernelError(Errno.EINVAL, { operation: 'iptables-restore' });
    const failed: SyncReport = {
      full: true, plans: [], writes: 1, failures: [{ step: 'iptables', abortsSync: true, error }],
      familyFailures: new Map([[4, [{ step: 'iptables', abortsSync: true, error }]]]), servicesChanged: 0, durationMs: 40,
    };
    obs.observer.syncCompleted(failed);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', v4), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', v4), lastSync);
    assert.equal(value(exp, 'kubeproxy_sync_full_proxy_rules_duration_seconds_count', v4), 2);
    // A refused IPVS operation is logged upstream and the sync still counts.
    const ipvsFailed: SyncReport = { ...failed, failures: [{ step: 'ipvs', abortsSync: false, error }], familyFailures: new Map([[4, [{ step: 'ipvs', abortsSync: false, error }]]]) };
    obs.observer.syncCompleted(ipvsFailed);
    const after2 = await get();
    assert.equal(value(after2, 'kubeproxy_sync_proxy_rules_iptables_restore_failures_total', v4), 1);
    assert.equal(value(after2, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', v4), clock.now() / 1000);
  });

  it('a deleted slice drops its service\'s unprogrammed trigger times, as upstream', async () => {
    const before = value(await get(), 'kubeproxy_network_programming_duration_seconds_count', v4);
    const s = { ...slice({ service: 'gone', name: 'gone-1', endpoints: ['10.244.0.40'] }), lastChangeTriggerTime: clock.now() - 10 };
    obs.observer.endpointSliceChanged(undefined, s);
    obs.observer.endpointSliceChanged(s, undefined);
    await sync(5);
    assert.equal(value(await get(), 'kubeproxy_network_programming_duration_seconds_count', v4), before);
  });

  it('no_local_endpoints: Local policy services with endpoints elsewhere only', async () => {
    const local = (name: string, ip: string) => service({ name, clusterIP: ip, internalTrafficPolicy: 'Local' });
    const add = (s: ReturnType<typeof service>, sl: ReturnType<typeof slice>) => {
      proxier.onServiceUpdate(undefined, s);
      proxier.onEndpointSliceUpdate(undefined, sl);
    };
    add(local('remote-only', '10.96.1.1'), slice({ service: 'remote-only', endpoints: [{ ip: '10.244.1.1', node: 'node-b' }] }));
    add(local('has-local', '10.96.1.2'), slice({ service: 'has-local', endpoints: [{ ip: '10.244.1.2', node: 'node-a' }, { ip: '10.244.1.3', node: 'node-b' }] }));
    add(local('not-ready', '10.96.1.3'), slice({ service: 'not-ready', endpoints: [{ ip: '10.244.1.4', node: 'node-b', ready: false, serving: false }] }));
    add(service({ name: 'cluster', clusterIP: '10.96.1.4' }), slice({ service: 'cluster', endpoints: [{ ip: '10.244.1.5', node: 'node-b' }] }));
    await sync(5);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { ...v4, traffic_policy: 'internal' }), 1);
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { ...v4, traffic_policy: 'external' }), 0);
    assert.equal(find(exp, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total').length, 2);
  });

  it('no_local_endpoints{traffic_policy="external"}: externally reachable Local services with endpoints elsewhere only', async () => {
    const external = (name: string, ip: string, over: Partial<Parameters<typeof service>[0]> = {}) =>
      service({ name, clusterIP: ip, type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, nodePort: 31080 }], ...over });
    const add = (s: ReturnType<typeof service>, sl?: ReturnType<typeof slice>) => {
      proxier.onServiceUpdate(undefined, s);
      if (sl !== undefined) proxier.onEndpointSliceUpdate(undefined, sl);
    };
    add(external('lb-remote', '10.96.3.1'), slice({ service: 'lb-remote', endpoints: [{ ip: '10.244.3.1', node: 'node-b' }] }));
    add(external('lb-local', '10.96.3.2'), slice({ service: 'lb-local', endpoints: [{ ip: '10.244.3.2', node: 'node-a' }] }));
    add(external('eip-remote', '10.96.3.3', { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }], externalIPs: ['203.0.113.9'] }), slice({ service: 'eip-remote', endpoints: [{ ip: '10.244.3.3', node: 'node-b' }] }));
    add(external('lb-empty', '10.96.3.4'));
    // externalTrafficPolicy is meaningless on a ClusterIP without externalIPs (upstream ExternalPolicyLocal).
    add(external('plain', '10.96.3.5', { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }] }), slice({ service: 'plain', endpoints: [{ ip: '10.244.3.5', node: 'node-b' }] }));
    await sync(5);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { ...v4, traffic_policy: 'external' }), 2);
    for (const name of ['lb-remote', 'lb-local', 'eip-remote', 'lb-empty', 'plain']) proxier.onServiceUpdate(proxier.cache.service(`default/${name}`), undefined);
    await sync(5);
    assert.equal(value(await get(), 'kubeproxy_sync_proxy_rules_no_local_endpoints_total', { ...v4, traffic_policy: 'external' }), 0);
  });

  it('health follows the same events: a change left unsynced for 2 × syncPeriod fails /livez', async () => {
    const livez = async () => (await fetch(`http://127.0.0.1:${obs.healthz!.address.port}/livez`)).status;
    assert.equal(await livez(), 200);
    proxier.onServiceUpdate(undefined, service({ name: 'late', clusterIP: '10.96.2.1' }));
    obs.observer.serviceChanged();
    await clock.advance(2 * SYNC_PERIOD_MS);
    assert.equal(await livez(), 503);
    await sync(5);
    assert.equal(await livez(), 200);
    const exp = await get();
    assert.equal(value(exp, 'kubeproxy_proxy_livez_total', { code: '503' }), 1);
    assert.equal(value(exp, 'kubeproxy_proxy_livez_total', { code: '200' }), 2);
  });

  it('the metrics port also answers /healthz and /proxyMode like kube-proxy\'s', async () => {
    const mode = await fetch(`http://127.0.0.1:${port}/proxyMode`);
    assert.equal(await mode.text(), 'ipvs');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), 'ok');
  });
});

describe('process metrics', () => {
  it('are exposed by default on the private registry', async () => {
    const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }) });
    const obs = await startObservability({ proxier, families: [familyConfig()], syncPeriodMs: 1000, healthzBindAddress: '', metricsBindAddress: '127.0.0.1:0' });
    try {
      assert.equal(obs.healthz, undefined);
      const exp = await scrape(obs.metricsEndpoint!.address.port);
      assert.ok(value(exp, 'process_resident_memory_bytes') > 0);
      assert.ok(find(exp, 'nodejs_eventloop_lag_seconds').length === 1);
    } finally {
      await obs.close();
    }
  });
});
