// sourceDaemon hands the configured --service-node-port-range to the source it builds, for the
// daemon and --once alike: a node port inside the configured (non-default) range survives parsing.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { sourceDaemon } from '../../../src/daemon/source-daemon.ts';
import type { Proxier } from '../../../src/engine/proxier.ts';
import type { Service } from '../../../src/model/types.ts';
import { FakeApiServer } from '../../support/apiserver/server.ts';
import { serviceObject } from '../../helpers/objects.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { run } from '../config/run.ts';

describe('sourceDaemon', { timeout: 15_000 }, () => {
  let api: FakeApiServer | undefined;
  afterEach(async () => { await api?.close(); });

  it('the API source parses with --service-node-port-range', async () => {
    api = await FakeApiServer.start();
    const o = serviceObject({ name: 'np', clusterIP: '10.96.0.50' });
    api.create({ ...o, spec: { ...(o['spec'] as object), type: 'NodePort', ports: [{ name: 'a', port: 80, nodePort: 20005 }, { name: 'b', port: 81, nodePort: 30080 }] } });
    api.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    const { loaded } = await run([`--master=${api.url}`, '--service-node-port-range=20000-20010']);
    assert.ok(loaded !== undefined);
    const services: Service[] = [];
    const proxier = { onServiceUpdate: (_: unknown, s: Service | undefined) => { if (s) services.push(s); }, onEndpointSliceUpdate: () => undefined, onNodeUpdate: () => undefined };
    const loop = { proxier: proxier as unknown as Proxier, logger: pino({ level: 'silent' }), minSyncPeriodMs: 0, syncPeriodMs: 30_000, clock: new ManualClock() };
    assert.equal(await (await sourceDaemon(loaded.settings, loop, 'node-a')).loadOnce(), true);
    assert.deepEqual(services.map((s) => s.ports.map((p) => p.nodePort)), [[20005, 0]]);
  });
});
