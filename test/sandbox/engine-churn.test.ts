// Model-based churn in the real kernel: hundreds of random Service/EndpointSlice changes, fed to a
// Proxier in small batches, and after EVERY sync the kernel (as ipvsadm, ipset and ip print it)
// must equal what an independent oracle derives from the test's own model. A periodic full sync
// must write nothing (the engine's mirror never drifted), and foreign IPVS services survive.
//
// Explore: TEST_CHURN_SEED=n TEST_CHURN_STEPS=m. TEST_CHURN_SHRINK=1 lets fast-check shrink a
// failure to a minimal sequence and prints it; every attempt replays in the kernel, so keep
// TEST_CHURN_STEPS near 100 (a 100-step shrink takes ~10 minutes).
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { Proxier, type SyncReport } from '../../src/engine/proxier.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import type { EndpointSliceInfo, Service } from '../../src/model/types.ts';
import {
  COMMAND_KINDS, ChurnModel, NODE, applyCommand, churnScript, expectedView, serviceOf, sliceOf, type ChurnCommand, type ChurnStep, type KernelView,
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

interface Stats {
  effective: number; syncs: number; fullSyncs: number; writes: number; syncMs: number; checkMs: number;
  /** Effective steps per command kind. */
  readonly ops: Map<ChurnCommand['op'], number>;
}

function noStats(): Stats {
  return { effective: 0, syncs: 0, fullSyncs: 0, writes: 0, syncMs: 0, checkMs: 0, ops: new Map() };
}

/**
 * A long-lived shell that runs the Debian tools for us. Forking from this Node.js process costs
 * ~160 ms in the emulated kernel (its address space is large); from a small shell the three tools
 * take ~60 ms together, and a check runs after every one of ~300 syncs.
 */
class ToolShell {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  #output = '';
  #waiting: { marker: string; resolve: (text: string) => void; reject: (error: Error) => void } | undefined;
  #runs = 0;

  constructor() {
    this.#child = spawn('sh', [], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LC_ALL: 'C' } });
    this.#child.stdout.setEncoding('utf8');
    this.#child.stdout.on('data', (chunk: string) => {
      this.#output += chunk;
      this.#settle();
    });
  }

  /** Runs a script; resolves with its stdout, rejects when it exits non-zero. */
  run(script: string): Promise<string> {
    assert.equal(this.#waiting, undefined, 'one script at a time');
    const marker = `=== churn-shell ${++this.#runs} status`;
    this.#child.stdin.write(`{ ${script}\n}; echo "${marker} $?"\n`);
    return new Promise((resolve, reject) => {
      this.#waiting = { marker, resolve, reject };
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.stdin.end();
    await exited;
  }

  #settle(): void {
    const waiting = this.#waiting;
    const at = waiting === undefined ? -1 : this.#output.indexOf(waiting.marker);
    if (waiting === undefined || at < 0) return;
    const end = this.#output.indexOf('\n', at);
    if (end < 0) return;
    const status = this.#output.slice(at + waiting.marker.length, end).trim();
    const text = this.#output.slice(0, at);
    this.#output = this.#output.slice(end + 1);
    this.#waiting = undefined;
    if (status === '0') waiting.resolve(text);
    else waiting.reject(new Error(`tool script exited ${status}: ${text}`));
  }
}

const SEPARATOR = '=== churn ===';

async function observeView(shell: ToolShell): Promise<KernelView> {
  const script = `ipvsadm -Sn && echo '${SEPARATOR}' && ipset save && echo '${SEPARATOR}' && ip -j addr show kube-ipvs0`;
  const [ipvs = '', sets = '', addr = ''] = (await shell.run(script)).split(`${SEPARATOR}\n`);
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
async function assertKernelMatches(shell: ToolShell, model: ChurnModel, where: string): Promise<void> {
  const want = expectedView(model);
  const wanted = { ...want, ipvs: [...want.ipvs, ...FOREIGN.map(([line]) => line)].sort() };
  const have = await observeView(shell);
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

interface Run { readonly proxier: Proxier; readonly shell: ToolShell; readonly model: ChurnModel; readonly stats: Stats }

async function runChurn(kernel: OpenKernel, shell: ToolShell, script: readonly (ChurnStep | undefined)[], stats: Stats): Promise<void> {
  resetProxierState();
  for (const [, args] of FOREIGN) tool('ipvsadm', ...args);
  const model = new ChurnModel();
  const proxier = new Proxier({ kernel, families: [familyConfig({ nodeName: NODE })], logger: pino({ level: 'silent' }) });
  const run: Run = { proxier, shell, model, stats };
  const informer = new Informer(proxier, model);
  assertCleanSync(await proxier.sync(), true, 'first sync');
  await assertKernelMatches(shell, model, 'first sync');
  const trace: string[] = [];
  try {
    await replay(run, informer, script, trace);
  } catch (error) {
    // A shrunk failure is short: show exactly what the model went through, sync by sync.
    if (SHRINK) throw new Error(`${String(error)}\nsteps that changed the model:\n${trace.join('\n')}`, { cause: error });
    throw error;
  }
}

async function replay(run: Run, informer: Informer, script: readonly (ChurnStep | undefined)[], trace: string[]): Promise<void> {
  const { stats } = run;
  let pending = 0;
  let sinceFull = 0;
  for (const [i, step] of script.entries()) {
    if (step !== undefined && informer.apply(step)) {
      stats.effective++;
      stats.ops.set(step.command.op, (stats.ops.get(step.command.op) ?? 0) + 1);
      trace.push(`  ${i}: ${JSON.stringify(step.command)}`);
      sinceFull++;
      pending++;
    }
    const last = i === script.length - 1;
    if (pending === 0 || (step?.syncAfter !== true && pending < MAX_BATCH && !last)) continue;
    const where = `step ${i} (${JSON.stringify(step?.command)}, batch of ${pending})`;
    trace.push('  -- sync');
    await syncAndCheck(run, where);
    pending = 0;
    if (sinceFull >= FULL_SYNC_EVERY) {
      trace.push('  -- full sync');
      await fullSyncWritesNothing(run, `full sync after ${where}`);
      sinceFull = 0;
    }
  }
}

async function syncAndCheck(run: Run, where: string): Promise<void> {
  const started = Date.now();
  const report = await run.proxier.sync();
  run.stats.syncMs += Date.now() - started;
  run.stats.syncs++;
  run.stats.writes += report.writes;
  assertCleanSync(report, false, where);
  const checked = Date.now();
  await assertKernelMatches(run.shell, run.model, where);
  run.stats.checkMs += Date.now() - checked;
}

/** A full sync re-reads the kernel and diffs everything: any write means the mirror had drifted. */
async function fullSyncWritesNothing(run: Run, where: string): Promise<void> {
  const full = await run.proxier.sync({ full: true });
  run.stats.fullSyncs++;
  assertCleanSync(full, true, where);
  assert.equal(full.writes, 0, `${where} repaired drift: ${JSON.stringify(full.plans)}`);
  await assertKernelMatches(run.shell, run.model, where);
}

describe('engine under random churn in the real kernel', () => {
  let kernel: OpenKernel;
  let shell: ToolShell;

  before(async () => {
    resetProxierState();
    kernel = await openKernel({ iptablesBackend: 'legacy' });
    shell = new ToolShell();
  });

  after(async () => {
    await shell.close();
    await kernel.close();
    resetProxierState();
  });

  it('foreign virtual servers read back as the test writes them', () => {
    resetProxierState();
    for (const [, args] of FOREIGN) tool('ipvsadm', ...args);
    assert.deepEqual(tool('ipvsadm', '-Sn').split('\n').filter((l) => l !== '').sort(), FOREIGN.map(([line]) => line).sort());
  });

  it(`kernel == oracle after every sync over ${STEPS} churn steps (fast-check seed ${SEED})`, async (t) => {
    const started = Date.now();
    let stats = noStats();
    await fc.assert(fc.asyncProperty(churnScript(STEPS), async (script) => {
      stats = noStats();
      await runChurn(kernel, shell, script, stats);
    }), { seed: SEED, numRuns: 1, endOnFailure: !SHRINK });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    t.diagnostic(`${stats.effective} effective steps of ${STEPS}, ${stats.syncs} partial syncs + ${stats.fullSyncs} full ones (0 writes each), `
      + `${stats.writes} writes; syncing ${stats.syncMs} ms, checking ${stats.checkMs} ms, total ${seconds} s`);
    t.diagnostic(`steps per kind: ${JSON.stringify(Object.fromEntries(stats.ops))}`);
    assert.ok(stats.effective >= REQUIRED_EFFECTIVE_STEPS, `only ${stats.effective} steps changed the model`);
    assert.ok(stats.fullSyncs >= Math.floor(stats.effective / (FULL_SYNC_EVERY + MAX_BATCH)), `${stats.fullSyncs} full syncs`);
    if (REQUIRED_EFFECTIVE_STEPS > 0) assert.deepEqual(COMMAND_KINDS.filter((k) => !stats.ops.has(k)), [], 'command kinds never exercised');
  });
});
