import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SyncLoop } from '../../../src/daemon/sync-loop.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { parseService } from '../../../src/model/service.ts';
import type { Service } from '../../../src/model/types.ts';
import type { KernelAddress } from '../../../src/model/node-state.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig } from '../../helpers/objects.ts';

function nodePortService(healthCheckNodePort?: number): Service {
  const r = parseService({
    kind: 'Service', metadata: { name: 'web', namespace: 'shop' },
    spec: {
      type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }], externalIPs: ['192.0.2.7'],
      ...(healthCheckNodePort === undefined ? {} : { externalTrafficPolicy: 'Local', healthCheckNodePort }),
    },
    status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } },
  });
  assert.equal(r.kind, 'ok');
  return (r as { value: Service }).value;
}

test('NodePort, externalIPs, LoadBalancer and healthCheckNodePort are all served: no warning', () => {
  const lines: { level: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => { lines.push(JSON.parse(text) as (typeof lines)[number]); } });
  const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }) });
  const loop = new SyncLoop({ proxier, logger, minSyncPeriodMs: 0, syncPeriodMs: 30_000 });
  loop.serviceChanged(undefined, nodePortService());
  loop.serviceChanged(undefined, nodePortService(32000));
  assert.deepEqual(lines.filter((l) => l.level >= 40), []);
});

test('afterSync (the healthCheckNodePort servers) is awaited after each sync, before onSync', async () => {
  const clock = new ManualClock();
  const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }) });
  const events: string[] = [];
  const loop = new SyncLoop({
    proxier, logger: pino({ level: 'silent' }), minSyncPeriodMs: 0, syncPeriodMs: 3_600_000, clock,
    afterSync: async () => { events.push(`after ${proxier.healthChecks.size}`); await Promise.resolve(); events.push('after done'); },
    onSync: () => { events.push('sync'); },
  });
  loop.serviceChanged(undefined, nodePortService(32000));
  loop.start();
  await clock.advance(0);
  assert.deepEqual(events, ['after 1', 'after done', 'sync'], 'the servers see the sync\'s health-check services');
  await loop.stop();
});

test('a new node address found between syncs triggers a sync that sees it; an unchanged list does not', async () => {
  const clock = new ManualClock();
  const proxier = new Proxier({ kernel: createFakeKernel(), families: [familyConfig()], logger: pino({ level: 'silent' }) });
  let addresses: KernelAddress[] = [{ family: 4, address: '192.168.1.20', linkName: 'eth0' }];
  const syncs: number[] = [];
  const loop = new SyncLoop({
    proxier, logger: pino({ level: 'silent' }), minSyncPeriodMs: 0, syncPeriodMs: 3_600_000, clock,
    nodeAddresses: () => Promise.resolve(addresses), nodeAddressPollMs: 5000,
    onSync: () => { syncs.push(clock.now()); },
  });
  loop.start();
  await clock.advance(0);
  assert.deepEqual(proxier.nodeState.addresses[4], ['192.168.1.20'], 'the first sync read the addresses');
  const first = syncs.length;
  await clock.advance(5000);
  assert.equal(syncs.length, first, 'nothing changed: no sync');
  addresses = [...addresses, { family: 4, address: '192.168.1.21', linkName: 'eth0' }];
  await clock.advance(5000);
  assert.equal(syncs.length, first + 1);
  assert.deepEqual(proxier.nodeState.addresses[4], ['192.168.1.20', '192.168.1.21']);
  await loop.stop();
  assert.equal(clock.pendingTimers, 0);
});
