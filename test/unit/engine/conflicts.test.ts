// The engine logs one warning when two services start claiming one virtual server (naming both,
// the address:port/protocol and the winner), nothing on later syncs, and one line when it ends;
// the kernel follows the winner, and the loser takes over in the sync after the winner is removed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { familyConfig, service, slice } from '../../helpers/objects.ts';
import { captureLogger } from '../sources/api/harness.ts';

const WARN = 40;
const INFO = 30;

describe('Proxier: conflicts between services', () => {
  const web = service({ name: 'web', clusterIP: '10.96.10.1', createdAt: '2020-01-01T00:00:00Z' });
  const intruder = service({ name: 'intruder', clusterIP: '10.96.10.1', createdAt: '2024-01-01T00:00:00Z' });

  async function setup() {
    const kernel = createFakeKernel();
    const { logger, lines } = captureLogger();
    const proxier = new Proxier({ kernel, families: [familyConfig()], logger });
    proxier.onServiceUpdate(undefined, web);
    proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11'] }));
    await proxier.sync();
    proxier.onServiceUpdate(undefined, intruder);
    proxier.onEndpointSliceUpdate(undefined, slice({ service: 'intruder', endpoints: ['10.244.0.66'] }));
    const report = await proxier.sync();
    assert.deepEqual(report.failures, []);
    const destinations = async (): Promise<string[]> => (await kernel.ipvs.dump()).flatMap((v) => v.destinations.map((d) => d.address));
    return { proxier, lines, destinations };
  }

  it('one warning names both services, the virtual server and the winner; the older keeps it', async () => {
    const { lines, destinations } = await setup();
    const warnings = lines.filter((l) => l.level >= WARN);
    assert.deepEqual(warnings.map((l) => [l.msg, l['virtualServer'], l['winner'], l['loser'], l['decidedBy']]), [[
      'services default/web and default/intruder both claim 10.96.10.1:80/TCP; default/web is served (it is older), default/intruder is not on it',
      '10.96.10.1:80/TCP', 'default/web', 'default/intruder', 'creationTimestamp',
    ]]);
    assert.deepEqual(await destinations(), ['10.244.0.11']);
  });

  it('later syncs, full or partial, and updates of the loser do not repeat it', async () => {
    const { proxier, lines } = await setup();
    const from = lines.length;
    await proxier.sync({ full: true });
    proxier.onEndpointSliceUpdate(slice({ service: 'intruder', endpoints: ['10.244.0.66'] }), slice({ service: 'intruder', endpoints: ['10.244.0.67'] }));
    await proxier.sync();
    assert.deepEqual(lines.slice(from).filter((l) => l.level >= WARN), []);
  });

  it('when the winner is removed the loser is served after one sync, and the end is logged once', async () => {
    const { proxier, lines, destinations } = await setup();
    const from = lines.length;
    proxier.onServiceUpdate(web, undefined);
    await proxier.sync();
    assert.deepEqual(await destinations(), ['10.244.0.66']);
    const ended = lines.slice(from).filter((l) => l.level === INFO && l['virtualServer'] !== undefined);
    assert.deepEqual(ended.map((l) => l.msg), ['services default/web and default/intruder no longer both claim 10.96.10.1:80/TCP']);
    await proxier.sync();
    assert.equal(lines.slice(from).filter((l) => l['virtualServer'] !== undefined).length, 1);
  });
});
