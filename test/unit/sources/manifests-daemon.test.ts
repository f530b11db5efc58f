// ManifestDaemon against the fake kernel, with a real directory watch and a manual clock: the tests
// await the file watch scheduling a reload, then drive the debounce and the sync timers.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManifestDaemon, RELOAD_DEBOUNCE_MS } from '../../../src/daemon/manifests-daemon.ts';
import { Proxier, type SyncReport } from '../../../src/engine/proxier.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import { Activity } from '../../helpers/activity.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig } from '../../helpers/objects.ts';

const SERVICE = 'kind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}]}\n';
const slice = (...ips: string[]): string =>
  `kind: EndpointSlice\nmetadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\nports: [{name: http, port: 8080}]\nendpoints:\n${ips.map((ip) => `- addresses: [${ip}]\n`).join('')}`;

const MIN_SYNC_PERIOD_MS = 20;

async function kernelState(kernel: FakeKernel): Promise<string> {
  const [ipvs, sets, addresses] = await Promise.all([kernel.ipvs.dump(), kernel.ipset.list(), kernel.links.listAddresses('kube-ipvs0')]);
  return JSON.stringify({ ipvs, sets, addresses });
}

let dir = '';
let daemon: ManifestDaemon | undefined;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'manifest-daemon-')); });
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  readonly kernel: FakeKernel;
  readonly clock: ManualClock;
  readonly reports: SyncReport[];
  readonly errors: string[];
  readonly started: Promise<void>;
  readonly until: (condition: () => boolean, what: string) => Promise<void>;
}

function startDaemon(): Running {
  const kernel = createFakeKernel();
  const clock = new ManualClock();
  const activity = new Activity();
  const errors: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { errors.push(chunk.toString()); activity.notify(); done(); } });
  const logger = pino({ level: 'error' }, sink);
  const proxier = new Proxier({ kernel, families: [familyConfig()], logger, clock });
  const reports: SyncReport[] = [];
  daemon = new ManifestDaemon({
    dir, proxier, logger, clock, minSyncPeriodMs: MIN_SYNC_PERIOD_MS, syncPeriodMs: 600_000,
    onSync: (r) => { reports.push(r); activity.notify(); },
  });
  return { kernel, clock, reports, errors, started: daemon.start(), until: (condition, what) => activity.until(condition, what) };
}

/** The file watch noticed the edit and scheduled a reload: run it. */
async function reloadAfterEdit(clock: ManualClock): Promise<void> {
  await clock.whenDueWithin(RELOAD_DEBOUNCE_MS);
  await clock.advance(RELOAD_DEBOUNCE_MS);
}

describe('ManifestDaemon', { timeout: 15_000 }, () => {
  it('start: one full sync; an edit: a partial sync writing only the difference', async () => {
    await writeFile(join(dir, 'web.yaml'), `${SERVICE}---\n${slice('10.244.0.11')}`);
    const { kernel, clock, reports, started, until } = startDaemon();
    await started;
    await clock.advance(0);
    await until(() => reports.length === 1, 'the first sync');
    assert.equal(reports[0]?.full, true);
    assert.deepEqual(reports[0]?.failures, []);
    assert.deepEqual((await kernel.ipvs.dump()).flatMap((d) => d.destinations.map((x) => x.address)), ['10.244.0.11']);

    await writeFile(join(dir, 'web.yaml'), `${SERVICE}---\n${slice('10.244.0.11', '10.244.0.12')}`);
    await reloadAfterEdit(clock);
    await clock.whenDueWithin(MIN_SYNC_PERIOD_MS); // the reload found a change and asked for a sync
    await clock.advance(MIN_SYNC_PERIOD_MS);
    await until(() => reports.length >= 2, 'a sync after the edit');
    await clock.advance(10 * MIN_SYNC_PERIOD_MS);
    assert.equal(reports.length, 2, 'one edit, one sync');
    assert.equal(reports[1]?.full, false);
    // No nodeName in the slice: the endpoints are not local, so no KUBE-LOOP-BACK member.
    assert.equal(renderPlan(reports[1].plans[0]!), [
      'ipvs add destination TCP 10.96.0.10:80 -> 10.244.0.12:8080 masq weight 1',
      '',
    ].join('\n'));
    assert.deepEqual((await kernel.ipvs.dump()).flatMap((d) => d.destinations.map((x) => x.address)).sort(), ['10.244.0.11', '10.244.0.12']);
  });

  const malformed: [string, string][] = [
    ['a YAML syntax error', `${SERVICE}---\nkind: EndpointSlice\nmetadata: {name: [\n`],
    ['an invalid object', `${SERVICE.replace('10.96.0.10', '010.96.0.10')}---\n${slice('10.244.0.11', '10.244.0.256')}`],
  ];
  for (const [name, text] of malformed) {
    it(`${name} leaves the kernel exactly as it was`, async () => {
      await writeFile(join(dir, 'web.yaml'), `${SERVICE}---\n${slice('10.244.0.11')}`);
      const { kernel, clock, reports, errors, started, until } = startDaemon();
      await started;
      await clock.advance(0);
      await until(() => reports.length === 1, 'the first sync');
      const before = await kernelState(kernel);
      assert.match(before, /10\.244\.0\.11/);

      await writeFile(join(dir, 'web.yaml'), text);
      await reloadAfterEdit(clock);
      await until(() => errors.some((l) => l.includes('web.yaml')), 'the problem to be logged');
      // The reload has happened; give a would-be sync several min-sync periods to show up.
      await clock.advance(10 * MIN_SYNC_PERIOD_MS);
      assert.equal(reports.length, 1, 'nothing changed, so nothing synced');
      assert.equal(await kernelState(kernel), before);
    });
  }
});
