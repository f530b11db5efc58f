// Issue 9's bad-input corpus through manifests mode: each bad file or object is added to a running
// daemon's directory beside the good manifests. For each: one line names it (and the object and
// field, for object cases), reloading again without a change says nothing more, the good Services
// stay programmed and unchanged in the (fake) kernel, and once the input is removed the kernel is
// exactly as before it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManifestDaemon } from '../../../src/daemon/manifests-daemon.ts';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel } from '../../../src/kernel/fake-kernel.ts';
import { BAD_NAME, CORPUS_NAMESPACE, FILE_CASES, GOOD_MANIFESTS, OBJECT_CASES } from '../../helpers/bad-inputs.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { familyConfig } from '../../helpers/objects.ts';
import { assertGoodUnchanged, assertNothingForbidden, kernelState, type KernelState } from './kernel-check.ts';

const WARN = 40;
const BAD = `${CORPUS_NAMESPACE}/${BAD_NAME}`;

describe('bad-input corpus: manifest files', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const logger = pino({ level: 'warn' }, sink);
  const kernel = createFakeKernel();
  const clock = new ManualClock();
  const proxier = new Proxier({ kernel, families: [familyConfig()], logger, clock });
  const daemon = new ManifestDaemon({ dir, proxier, logger, clock, minSyncPeriodMs: 0, syncPeriodMs: 600_000 });
  let baseline: KernelState;

  before(async () => {
    writeFileSync(join(dir, 'good.yaml'), GOOD_MANIFESTS);
    await daemon.reload();
    await proxier.sync();
    baseline = await kernelState(kernel);
    assert.equal(baseline.virtualServers.length, 3, 'web:80, web:53/UDP, victim:80');
    assert.deepEqual(lines, [], 'the good manifests load without a word');
  });

  after(async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Adds the input, reloads and syncs; returns the warning lines that reload produced. */
  async function reloadAndSync(): Promise<string[]> {
    const from = lines.length;
    await daemon.reload();
    await proxier.sync();
    return lines.slice(from).filter((l) => (JSON.parse(l) as { level: number }).level >= WARN);
  }

  async function check(name: string, entry: string, mustName: readonly string[]): Promise<void> {
    try {
      const problems = await reloadAndSync();
      assert.equal(problems.length, 1, `exactly one line for ${name}:\n${problems.join('')}`);
      for (const text of [entry, ...mustName]) assert.ok(problems[0]?.includes(text), `the line names ${text}: ${problems[0]}`);
      assert.deepEqual(await reloadAndSync(), [], 'an unchanged input is not reported again');
      const now = await kernelState(kernel);
      assertGoodUnchanged(baseline, now, name);
      assertNothingForbidden(now, name);
    } finally {
      rmSync(join(dir, entry), { recursive: true, force: true });
    }
    assert.deepEqual(await reloadAndSync(), [], 'removing the input is silent');
    assert.deepEqual(await kernelState(kernel), baseline, 'nothing leaked once the input is gone');
  }

  for (const c of FILE_CASES) {
    it(`file: ${c.name}`, { skip: c.skip ?? false }, async () => {
      c.create(dir);
      await check(c.name, c.entry, c.entry === 'web-copy.yaml' ? ['good.yaml'] : []);
    });
  }

  OBJECT_CASES.forEach((c, i) => {
    it(`object: ${c.name}`, async () => {
      const entry = `bad-${i}.yaml`;
      writeFileSync(join(dir, entry), c.objects.map((o) => JSON.stringify(o)).join('\n---\n'));
      await check(c.name, entry, [c.field === undefined ? BAD : c.field, BAD].filter((x, j, a) => a.indexOf(x) === j));
    });
  });
});
