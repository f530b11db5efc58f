// Model-based churn in the real kernel: hundreds of random Service/EndpointSlice changes, fed to a
// Proxier in small batches, and after EVERY sync the kernel (as ipvsadm, ipset and ip print it)
// must equal what an independent oracle derives from the test's own model. A periodic full sync
// must write nothing (the engine's mirror never drifted), and foreign IPVS services survive.
//
// Reproduce or explore: TEST_CHURN_SEED=n TEST_CHURN_STEPS=m; TEST_CHURN_SHRINK=1 lets fast-check
// shrink a failure to a minimal sequence (slow: every attempt replays in the kernel).
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pino } from 'pino';
import { Proxier, type SyncReport } from '../../src/engine/proxier.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import type { EndpointSliceInfo, Service } from '../../src/model/types.ts';
import {
  ChurnModel, NODE, applyCommand, churnScript, expectedView, serviceOf, sliceOf, type ChurnStep, type KernelView,
} from '../helpers/churn-model.ts';
import { familyConfig } from '../helpers/objects.ts';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';

const SEED = Number(process.env['TEST_CHURN_SEED'] ?? 20_240_611);
const STEPS = Number(process.env['TEST_CHURN_STEPS'] ?? 640);
const SHRINK = process.env['TEST_CHURN_SHRINK'] === '1';
/** The committed configuration must really change the model this many times. */
const REQUIRED_EFFECTIVE_STEPS = process.env['TEST_CHURN_STEPS'] === undefined ? 500 : 0;
const MAX_BATCH = 5;
const FULL_SYNC_EVERY = 50;

/**
 * Someone else's virtual servers, on addresses never bound to kube-ipvs0 (one inside the service
 * range, one fwmark): ours to leave alone. Exactly as `ipvsadm -Sn` prints them.
 */
const FOREIGN = [
  ['-A -t 10.97.0.1:80 -s wrr', ['-A', '-t', '10.97.0.1:80', '-s', 'wrr']],
  ['-a -t 10.97.0.1:80 -r 10.244.0.200:80 -m -w 2', ['-a', '-t', '10.97.0.1:80', '-r', '10.244.0.200:80', '-m', '-w', '2']],
  ['-A -u 10.96.0.200:53 -s rr', ['-A', '-u', '10.96.0.200:53', '-s', 'rr']],
  ['-A -f 7 -s rr', ['-A', '-f', '7', '-s', 'rr']],
] as const;

interface Stats { effective: number; syncs: number; fullSyncs: number; writes: number; syncMs: number; checkMs: number }

const NO_STATS: Stats = { effective: 0, syncs: 0, fullSyncs: 0, writes: 0, syncMs: 0, checkMs: 0 };

const SEPARATOR = '=== churn ===';

/** One process for the three tools: every process start costs ~30 ms in the emulated kernel. */
function observeView(): KernelView {
  const script = `ipvsadm -Sn && echo '${SEPARATOR}' && ipset save && echo '${SEPARATOR}' && ip -j addr show kube-ipvs0`;
  const [ipvs = '', sets = '', addr = ''] = tool('sh', '-c', script).split(`${SEPARATOR}\n`);
  const setLines = sets.split('\n');
  const members = (set: string) => setLines.filter((l) => l.startsWith(`add ${set} `)).map((l) => l.slice(`add ${set} `.length)).sort();
  const link = JSON.parse(addr) as { addr_info: { local: string; prefixlen: number }[] }[];
  return {
    ipvs: ipvs.split('\n').filter((l) => l !== '').sort(),
    clusterIP: members('KUBE-CLUSTER-IP'),
    loopBack: members('KUBE-LOOP-BACK'),
    ipvsIPs: members('KUBE-IPVS-IPS'),
    addresses: (link[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`).sort(),
  };
}

/** Compares set-like lists and names only the differences: a 300-line diff hides the one bad line. */
function assertKernelMatches(model: ChurnModel, where: string): void {
  const want = expectedView(model);
  const wanted = { ...want, ipvs: [...want.ipvs, ...FOREIGN.map(([line]) => line)].sort() };
  const have = observeView();
  for (const key of Object.keys(wanted) as (keyof KernelView)[]) {
    const missing = wanted[key].filter((x) => !have[key].includes(x));
    const extra = have[key].filter((x) => !wanted[key].includes(x));
    assert.ok(missing.length === 0 && extra.length === 0 && have[key].length === wanted[key].length,
      `${where}: ${key} differs; missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);
  }
}

function assertCleanSync(report: SyncReport, full: boolean, where: string): void {
  assert.deepEqual(report.failures, [], where);
  // A partial sync turning full would mean an earlier failure, and would hide mirror drift.
  assert.equal(report.full, full, where);
}

/** Tells the proxier what changed, as informers would: one event per touched object, with its previous form. */
class Informer {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSliceInfo>();
  private readonly proxier: Proxier;
  private readonly model: ChurnModel;

  constructor(proxier: Proxier, model: ChurnModel) {
    this.proxier = proxier;
    this.model = model;
  }

  apply(step: ChurnStep): boolean {
    const touched = applyCommand(this.model, step.command);
    for (const t of touched) {
      if (t.kind === 'service') this.proxier.onServiceUpdate(this.services.get(t.name), remember(this.services, t.name, serviceOf(this.model, t.name)));
      else this.proxier.onEndpointSliceUpdate(this.slices.get(t.name), remember(this.slices, t.name, sliceOf(this.model, t.name)));
    }
    return touched.length > 0;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V | undefined): V | undefined {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
  return value;
}

async function runChurn(kernel: OpenKernel, script: readonly ChurnStep[], stats: Stats): Promise<void> {
  resetProxierState();
  for (const [, args] of FOREIGN) tool('ipvsadm', ...args);
  const model = new ChurnModel();
  const proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE })], logger: pino({ level: 'silent' }) });
  const informer = new Informer(proxier, model);
  assertCleanSync(await proxier.sync(), true, 'first sync');
  assertKernelMatches(model, 'first sync');
  let pending = 0;
  let sinceFull = 0;
  for (const [i, step] of script.entries()) {
    if (informer.apply(step)) {
      stats.effective++;
      sinceFull++;
    }
    pending++;
    if (!step.syncAfter && pending < MAX_BATCH && i < script.length - 1) continue;
    const where = `step ${i} (${JSON.stringify(step.command)}, batch of ${pending})`;
    const started = Date.now();
    const report = await proxier.sync();
    stats.syncMs += Date.now() - started;
    stats.syncs++;
    stats.writes += report.writes;
    assertCleanSync(report, false, where);
    const checked = Date.now();
    assertKernelMatches(model, where);
    stats.checkMs += Date.now() - checked;
    pending = 0;
    if (sinceFull >= FULL_SYNC_EVERY) {
      const full = await proxier.sync({ full: true });
      stats.fullSyncs++;
      assertCleanSync(full, true, `full sync after ${where}`);
      assert.equal(full.writes, 0, `full sync after ${where} repaired drift: ${JSON.stringify(full.plans)}`);
      sinceFull = 0;
    }
  }
}

describe('engine under random churn in the real kernel', () => {
  let kernel: OpenKernel;

  before(async () => {
    resetProxierState();
    kernel = await openKernel({ iptablesBackend: 'legacy' });
  });

  after(async () => {
    await kernel.close();
    resetProxierState();
  });

  it('foreign virtual servers read back as the test writes them', () => {
    resetProxierState();
    for (const [, args] of FOREIGN) tool('ipvsadm', ...args);
    assert.deepEqual(tool('ipvsadm', '-Sn').split('\n').filter((l) => l !== '').sort(), FOREIGN.map(([line]) => line).sort());
  });

  it(`kernel == oracle after every sync over ${STEPS} churn steps (fast-check seed ${SEED})`, async () => {
    const started = Date.now();
    let stats = { ...NO_STATS };
    await fc.assert(fc.asyncProperty(churnScript(STEPS, SHRINK ? 0 : STEPS), async (script) => {
      stats = { ...NO_STATS };
      await runChurn(kernel, script, stats);
    }), { seed: SEED, numRuns: 1, endOnFailure: !SHRINK });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`churn: ${stats.effective} effective steps of ${STEPS}, ${stats.syncs} syncs + ${stats.fullSyncs} full (0 writes each), ${stats.writes} writes; `
      + `partial syncs ${stats.syncMs} ms, checks ${stats.checkMs} ms, total ${seconds} s`);
    assert.ok(stats.effective >= REQUIRED_EFFECTIVE_STEPS, `only ${stats.effective} steps changed the model`);
    assert.ok(stats.fullSyncs >= Math.floor(REQUIRED_EFFECTIVE_STEPS / FULL_SYNC_EVERY) - 1, `${stats.fullSyncs} full syncs`);
  });
});
