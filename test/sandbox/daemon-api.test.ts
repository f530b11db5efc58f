// The daemon in cluster mode, end to end in the real kernel: the test API server and the daemon run
// inside the sandbox; Services and EndpointSlices created, updated and deleted through the API show
// up in traffic from a pod within one sync. Health and metrics are served on loopback.
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FakeApiServer } from '../support/apiserver/server.ts';
import { serviceObject, sliceObject } from '../helpers/objects.ts';
import { resetProxierState } from './reset.ts';
import { tool } from './require-sandbox.ts';
import { httpFrom, startPodNetwork, type PodNetwork } from '../../sandbox/topology.ts';

const NODE = 'sandbox-node';
const bin = fileURLToPath(new URL('../../bin/ipvs-proxier.js', import.meta.url));
const HEALTHZ = '127.0.0.1:19256';
const METRICS = '127.0.0.1:19249';

function nodeObject(): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: NODE, labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
    status: { addresses: [{ type: 'InternalIP', address: '10.244.0.1' }] },
  };
}

function endpoints(ips: string[]): Record<string, unknown> {
  return sliceObject({ service: 'web', name: 'web-1', endpoints: ips.map((ip) => ({ ip, node: NODE })) });
}

/**
 * The daemon's log lines as events: tests wait for the line that says the daemon did something
 * (a sync, a failed watch), never for a fixed time. The deadline only bounds a hung daemon.
 */
class DaemonLog {
  text = '';
  private waiters: (() => void)[] = [];

  append(chunk: string): void {
    this.text += chunk;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once `ok()` holds, re-checking on every new log line. */
  async until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ok()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not seen in ${timeoutMs} ms; daemon log:\n${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** How many syncs the daemon has completed (one summary line each, sync-logging.ts). */
  get syncs(): number {
    return this.text.match(/"msg":"sync(: kernel already up to date| applied)"/g)?.length ?? 0;
  }

  /** Waits for the next sync after now; then `probe` is re-checked, up to `syncs` syncs. */
  async afterSyncs<T>(what: string, probe: () => T, ok: (v: T) => boolean, syncs = 5): Promise<T> {
    for (let i = 0; ; i++) {
      const value = probe();
      if (ok(value)) return value;
      if (i === syncs) throw new Error(`${what}: still ${JSON.stringify(value)} after ${syncs} syncs; daemon log:\n${this.text}`);
      const seen = this.syncs;
      await this.until(`${what} (sync ${i + 1})`, () => this.syncs > seen);
    }
  }
}

async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('daemon against the API server (cluster mode)', () => {
  let api: FakeApiServer;
  let daemon: ChildProcess;
  let net: PodNetwork | undefined;
  const log = new DaemonLog();

  before(async () => {
    resetProxierState();
    net = await startPodNetwork(['10.244.0.21', '10.244.0.22', '10.244.0.23'].map((ip, i) => ({ name: `api-pod-${i + 1}`, ip })));
    api = await FakeApiServer.start({ port: 0 });
    api.apply(nodeObject());
    api.apply(serviceObject({ name: 'web', clusterIP: '10.96.1.10' }));
    api.apply(endpoints(['10.244.0.21', '10.244.0.22']));
    daemon = spawn(process.execPath, [
      bin, `--master=${api.url}`, `--hostname-override=${NODE}`, '--cluster-cidr=10.244.0.0/16', '--iptables-backend=legacy',
      '--ipvs-min-sync-period=100ms', `--healthz-bind-address=${HEALTHZ}`, `--metrics-bind-address=${METRICS}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    daemon.stderr?.on('data', (chunk: Buffer) => { log.append(chunk.toString()); });
  });

  after(async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon.once('exit', resolve));
    }
    await api.close();
    net?.teardown();
    resetProxierState();
  });

  it('programs the initial state once the lists have arrived, and serves traffic from a pod', async () => {
    await log.afterSyncs('virtual server', () => tool('ipvsadm', '-Sn'), (t) => /-a -t 10\.96\.1\.10:80 -r 10\.244\.0\.22:8080/.test(t));
    const answers = httpFrom('api-pod-3', '10.96.1.10', 80, 4);
    assert.deepEqual([...new Set(answers)].sort(), ['api-pod-1', 'api-pod-2'], log.text);
  });

  it('an EndpointSlice update through the API moves traffic within one sync', async () => {
    api.apply(endpoints(['10.244.0.23']));
    // One sync after the update arrives; the loop re-checks after each sync in case the watch event came late.
    await log.afterSyncs('traffic on api-pod-3', () => httpFrom('api-pod-1', '10.96.1.10', 80, 3), (a) => a.every((x) => x === 'api-pod-3'));
  });

  it('a new Service through the API is reachable, and a deleted one goes away', async () => {
    api.apply(serviceObject({ name: 'api', clusterIP: '10.96.1.11' }));
    api.apply(sliceObject({ service: 'api', name: 'api-1', endpoints: [{ ip: '10.244.0.21', node: NODE }] }));
    await log.afterSyncs('new service answers', () => httpFrom('api-pod-2', '10.96.1.11', 80, 1), (a) => a[0] === 'api-pod-1');
    api.delete('services', 'default', 'api');
    api.delete('endpointslices', 'default', 'api-1');
    await log.afterSyncs('service removed', () => tool('ipvsadm', '-Sn'), (t) => !t.includes('10.96.1.11'));
    const addresses = tool('ip', '-j', 'addr', 'show', 'kube-ipvs0');
    assert.doesNotMatch(addresses, /10\.96\.1\.11/);
  });

  it('keeps the data plane while the API server is unreachable', async () => {
    api.failNext(1000, 500);
    const before = log.text.length;
    api.resetConnections();
    // The daemon has noticed: its API source logs the failed watch or list (and backs off).
    await log.until('the API source to see the failure', () => /"component":"api-source".*"level":40|"level":40.*"component":"api-source"/.test(log.text.slice(before)));
    assert.deepEqual(httpFrom('api-pod-1', '10.96.1.10', 80, 2), ['api-pod-3', 'api-pod-3']);
    api.failNext(0);
  });

  it('serves kube-proxy health and metrics', async () => {
    const healthz = await get(HEALTHZ, '/healthz');
    assert.equal(healthz.status, 200, healthz.body);
    assert.match(healthz.body, /"nodeEligible":true/);
    assert.equal((await get(HEALTHZ, '/livez')).status, 200);
    const metrics = await get(METRICS, '/metrics');
    assert.match(metrics.body, /^kubeproxy_sync_proxy_rules_last_timestamp_seconds(\{[^}]*\})? [1-9]/m);
    assert.match(metrics.body, /^kubeproxy_sync_proxy_rules_endpoint_changes_total [1-9]/m);
    assert.match(metrics.body, /^ipvs_proxier_virtual_server_connections_total\{[^}]*address="10\.96\.1\.10"[^}]*\} [1-9]/m);
  });

  it('exits on SIGTERM without tearing the data plane down', async () => {
    daemon.kill('SIGTERM');
    const code = await new Promise((resolve) => daemon.once('exit', resolve));
    assert.equal(code, 0, log.text);
    assert.match(tool('ipvsadm', '-Sn'), /10\.96\.1\.10:80/);
    assert.deepEqual(httpFrom('api-pod-2', '10.96.1.10', 80, 1), ['api-pod-3']);
  });
});
