// Issue 9's bad-input corpus through the API source: a misbehaving or old API server hands the
// daemon each object; each is refused (or its bad part is) with one line naming object and field,
// the good Services stay programmed and unchanged in the (fake) kernel, and once the object is
// deleted the kernel is exactly as before it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { ApiSource } from '../../../src/sources/api/api-source.ts';
import { loadApiConfig } from '../../../src/sources/api/kubeconfig.ts';
import { FakeApiServer } from '../../support/apiserver/server.ts';
import type { ResourceName } from '../../support/apiserver/resources.ts';
import { Activity } from '../../helpers/activity.ts';
import { BAD_NAME, CORPUS_NAMESPACE, GOOD_MANIFESTS, OBJECT_CASES, type ObjectCase } from '../../helpers/bad-inputs.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig, serviceObject, sliceObject } from '../../helpers/objects.ts';
import { captureLogger, nodeObject, type LogLine } from '../sources/api/harness.ts';
import { assertGoodUnchanged, assertNothingForbidden, kernelState, type KernelState } from './kernel-check.ts';

const NODE = 'node-a';
const WARN = 40;
const BAD = `${CORPUS_NAMESPACE}/${BAD_NAME}`;

describe('bad-input corpus: API objects', { timeout: 120_000 }, () => {
  const kernel = createFakeKernel();
  const activity = new Activity();
  const { logger, lines } = captureLogger(activity.notify);
  const proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE })], logger, clock: new ManualClock() });
  const changed: string[] = [];
  let api: FakeApiServer;
  let source: ApiSource;
  let baseline: KernelState;
  let markers = 0;
  /** Stamps creationTimestamp: each case's objects are a second younger than the good ones. */
  const apiClock = new ManualClock();

  before(async () => {
    api = await FakeApiServer.start({ clock: apiClock });
    api.onActivity(activity.notify);
    for (const doc of parseAllDocuments(GOOD_MANIFESTS)) api.create(doc.toJS() as Record<string, unknown>);
    api.create(nodeObject(NODE));
    api.create(serviceObject({ name: 'marker', namespace: CORPUS_NAMESPACE, clusterIP: '10.96.0.30' }));
    api.create(sliceObject({ service: 'marker', name: 'marker', namespace: CORPUS_NAMESPACE, endpoints: [] }));
    source = new ApiSource({
      kubeConfig: loadApiConfig({ master: api.url }), nodeName: NODE, logger, clock: new ManualClock(), random: () => 0.5,
      handlers: {
        onService: (a, b) => { proxier.onServiceUpdate(a, b); changed.push(`Service ${(a ?? b)?.name ?? ''}`); activity.notify(); },
        onEndpointSlice: (a, b) => { proxier.onEndpointSliceUpdate(a, b); changed.push(`EndpointSlice ${(a ?? b)?.name ?? ''}`); activity.notify(); },
        onNode: () => undefined,
      },
    });
    source.start();
    assert.equal(await source.whenSynced(), true);
    await proxier.sync();
    baseline = await kernelState(kernel);
    assert.equal(baseline.virtualServers.length, 4, 'web:80, web:53/UDP, victim:80, marker:80');
  });

  after(async () => {
    await source.stop();
    await api.close();
  });

  /** Waits until every earlier event of both watches has been delivered, by touching a marker of each kind. */
  async function settle(): Promise<void> {
    markers++;
    const touched = (o: Record<string, unknown>): Record<string, unknown> => ({ ...o, metadata: { ...(o['metadata'] as object), annotations: { marker: String(markers) } } });
    api.update(touched(serviceObject({ name: 'marker', namespace: CORPUS_NAMESPACE, clusterIP: '10.96.0.30' })));
    api.update(touched(sliceObject({ service: 'marker', name: 'marker', namespace: CORPUS_NAMESPACE, endpoints: [] })));
    const from = changed.length;
    await activity.until(() => {
      const since = changed.slice(from);
      return since.includes('Service marker') && since.includes('EndpointSlice marker');
    }, 'both marker updates');
  }

  const names = (line: LogLine): string => JSON.stringify(line);

  for (const c of OBJECT_CASES) {
    it(c.name, async () => {
      const from = lines.length;
      await apiClock.advance(1000);
      for (const o of c.objects) api.create(o);
      try {
        await checkWhileThere(c, from);
      } finally {
        for (const o of c.objects) api.delete(resourceOf(o), CORPUS_NAMESPACE, nameOf(o));
      }
      await settle();
      await proxier.sync();
      assert.deepEqual(await kernelState(kernel), baseline, 'nothing leaked once the object is gone');
    });
  }

  async function checkWhileThere(c: ObjectCase, from: number): Promise<void> {
    await settle();
    await proxier.sync();
    const problems = lines.slice(from).filter((l) => l.level >= WARN);
    const naming = problems.filter((l) => names(l).includes(BAD) || names(l).includes('bad_name'));
    assert.equal(naming.length, 1, `one line names ${BAD}: ${problems.map(names).join('\n')}`);
    if (c.field !== undefined) assert.ok(names(naming[0] as LogLine).includes(c.field), `the line names ${c.field}: ${names(naming[0] as LogLine)}`);
    assert.equal(problems.length, naming.length, `no other warnings: ${problems.map(names).join('\n')}`);
    const now = await kernelState(kernel);
    assertGoodUnchanged(baseline, now, c.name);
    assertNothingForbidden(now, c.name);
  }
});

function resourceOf(o: Record<string, unknown>): ResourceName {
  return o['kind'] === 'Service' ? 'services' : 'endpointslices';
}

function nameOf(o: Record<string, unknown>): string {
  return (o['metadata'] as Record<string, unknown>)['name'] as string;
}
