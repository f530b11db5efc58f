// `--once` against the fake API server and the fake kernel, through the same entry the CLI uses
// (runDaemon, with the kernel and the clock injected): it must sync once and then let the process
// exit, and it must set the node's IPVS timeouts exactly as the daemon does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runDaemon } from '../../../src/cli/run-daemon.ts';
import { loadSettings } from '../../../src/config/load.ts';
import { DEFAULT_TIMEOUTS } from '../../../src/kernel/ipvs/fake.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { FakeApiServer } from '../../support/apiserver/server.ts';
import { Activity } from '../../helpers/activity.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { serviceObject, sliceObject } from '../../helpers/objects.ts';
import { captureLogger } from '../sources/api/harness.ts';

const NODE = 'node-a';

describe('--once against the API server', { timeout: 15_000 }, () => {
  let api: FakeApiServer;
  const activity = new Activity();

  before(async () => {
    api = await FakeApiServer.start();
    api.onActivity(activity.notify);
    api.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
    api.apply(serviceObject({ name: 'web', clusterIP: '10.96.0.10' }));
    api.apply(sliceObject({ service: 'web', endpoints: ['10.244.0.11'] }));
    // A dual-stack Service: upstream serves its IPv6 side whatever clusterCIDR says (issue 8).
    api.apply({ ...serviceObject({ name: 'dual', clusterIP: '10.96.0.20' }), spec: {
      clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00:96::20'], ipFamilies: ['IPv4', 'IPv6'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    } });
    api.apply(sliceObject({ service: 'dual', name: 'dual-6', addressType: 'IPv6', endpoints: ['fd00:244::11'] }));
  });
  after(() => api.close());

  async function once(...flags: string[]): Promise<{ code: number; kernel: FakeKernel; clock: ManualClock }> {
    const { settings } = await loadSettings(['--once', `--master=${api.url}`, `--hostname-override=${NODE}`, ...flags]);
    const kernel = createFakeKernel();
    const clock = new ManualClock();
    const { logger } = captureLogger();
    const code = await runDaemon(settings, logger, { kernelFor: () => Promise.resolve({ kernel, close: () => Promise.resolve() }), clock });
    return { code, kernel, clock };
  }

  it('syncs once, then closes every watch and leaves no timer behind, so the process exits', async () => {
    const watchesBefore = api.requests.filter((r) => r.query['watch'] === 'true').length;
    const { code, kernel, clock } = await once();
    assert.equal(code, 0);
    assert.deepEqual((await kernel.ipvs.dump()).map((vs) => vs.destinations.map((d) => d.address)).sort(), [['10.244.0.11'], [], ['fd00:244::11']].sort());
    // Each informer asked for its watch before the lists counted as synced; every one must end,
    // including those still connecting when --once stopped the source.
    const watches = (): number => api.requests.filter((r) => r.query['watch'] === 'true').length - watchesBefore;
    await activity.until(() => watches() === 3 && api.openWatches === 0, 'the three watches to be closed');
    assert.equal(clock.pendingTimers, 0, 'no backoff, list timeout or kick left scheduled');
  });

  it('sets --ipvs-tcp-timeout, --ipvs-tcpfin-timeout and --ipvs-udp-timeout, as the daemon does', async () => {
    const { code, kernel } = await once('--ipvs-tcp-timeout=20m', '--ipvs-tcpfin-timeout=45s', '--ipvs-udp-timeout=100s');
    assert.equal(code, 0);
    assert.equal(kernel.ipvs.timeoutWrites, 1);
    assert.deepEqual(await kernel.ipvs.getTimeouts(), { tcp: 1200, tcpFin: 45, udp: 100 });
  });

  it('an IPv4-only --cluster-cidr keeps the IPv6 side of a dual-stack Service; --ip-families narrows', async () => {
    const keys = async (kernel: FakeKernel): Promise<string[]> => (await kernel.ipvs.dump()).map((vs) => (vs.service.key.kind === 'address' ? vs.service.key.address : '')).sort();
    const both = await once('--cluster-cidr=10.244.0.0/16');
    assert.deepEqual(await keys(both.kernel), ['10.96.0.10', '10.96.0.20', 'fd00:96::20']);
    const v4 = await once('--cluster-cidr=10.244.0.0/16', '--ip-families=4');
    assert.deepEqual(await keys(v4.kernel), ['10.96.0.10', '10.96.0.20']);
  });

  it('leaves the kernel\'s timeouts alone when none is configured', async () => {
    const { kernel } = await once();
    assert.equal(kernel.ipvs.timeoutWrites, 0);
    assert.deepEqual(await kernel.ipvs.getTimeouts(), DEFAULT_TIMEOUTS);
  });
});
